namespace Partitioned.Server;

/// <summary>
/// A named way to create the partition server of a cluster, with its settings bound if it takes any.
/// Created by <see cref="PartitionServerDefinition.Create{TRow, TResult}"/>.
/// </summary>
/// <typeparam name="TRow">The type of the partition's rows.</typeparam>
/// <typeparam name="TResult">The type of the result rows.</typeparam>
public sealed class PartitionServerDefinition<TRow, TResult> : ITypedServerDefinition
{
    private readonly Func<object?, PartitionServer<TRow, TResult>> _create;

    internal PartitionServerDefinition(string name, Type? settingsType, object? settings, Func<object?, PartitionServer<TRow, TResult>> create)
    {
        Name = name;
        SettingsType = settingsType;
        Settings = settings;
        _create = create;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public Type? SettingsType { get; }

    /// <summary>The bound settings, or null when the server takes none.</summary>
    public object? Settings { get; }

    /// <summary>Creates a fresh server instance from the bound settings.</summary>
    public PartitionServer<TRow, TResult> CreateServer() => CreateServer(Settings);

    internal PartitionServer<TRow, TResult> CreateServer(object? settings) =>
        _create(settings) ?? throw new InvalidOperationException($"The factory of partition server '{Name}' returned null.");

    /// <remarks>A worker runs the settings the driver sent, not any value bound in the worker's own registration.</remarks>
    TOut ITypedServerDefinition.Accept<TOut>(IServerDefinitionVisitor<TOut> visitor, object? settings) =>
        visitor.Visit(SettingsType is null ? this : new PartitionServerDefinition<TRow, TResult>(Name, SettingsType, settings, _create));

    /// <summary>Returns the name.</summary>
    public override string ToString() => Name;
}
