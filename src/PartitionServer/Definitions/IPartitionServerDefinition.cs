namespace Partitioned.Server;

/// <summary>
/// A named kind of partition server, as registered with a worker process (see <c>PartitionWorker</c>).
/// Implemented by <see cref="PartitionServerDefinition{TRow, TResult}"/> and
/// <see cref="PartitionServerDefinition{TSettings, TRow, TResult}"/>.
/// </summary>
public interface IPartitionServerDefinition
{
    /// <summary>The name a worker process looks the definition up by.</summary>
    string Name { get; }

    /// <summary>The type of the settings the server is created from, or null when it takes none.</summary>
    Type? SettingsType { get; }
}
