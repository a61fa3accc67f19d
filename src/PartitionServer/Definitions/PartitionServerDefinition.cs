using Partitioned.Shared;

namespace Partitioned.Server;

/// <summary>Creates <see cref="PartitionServerDefinition{TRow, TResult}"/>s.</summary>
/// <example>
/// <code>
/// static readonly PartitionServerDefinition&lt;int, Summary&gt; Lists = PartitionServerDefinition.Create("lists", () => new ListServer());
/// static readonly PartitionServerDefinition&lt;SearchSettings, Document, Stats&gt; Search =
///     PartitionServerDefinition.Create("search", (SearchSettings s) => new SearchServer(s));
/// </code>
/// </example>
public static class PartitionServerDefinition
{
    /// <summary>Defines a server that takes no settings.</summary>
    /// <param name="name">A name unique among the app's definitions; worker processes find the server by it.</param>
    /// <param name="create">Creates a fresh server for each partition attempt.</param>
    public static PartitionServerDefinition<TRow, TResult> Create<TRow, TResult>(string name, Func<PartitionServer<TRow, TResult>> create)
    {
        ArgumentNullException.ThrowIfNull(create);
        return new PartitionServerDefinition<TRow, TResult>(CheckName(name), settingsType: null, settings: null, _ => create());
    }

    /// <summary>
    /// Defines a server created from settings. The settings travel to worker processes as JSON, so
    /// <typeparamref name="TSettings"/> must round-trip through System.Text.Json.
    /// Bind a value with <see cref="PartitionServerDefinition{TSettings, TRow, TResult}.WithSettings"/>.
    /// </summary>
    public static PartitionServerDefinition<TSettings, TRow, TResult> Create<TSettings, TRow, TResult>(string name, Func<TSettings, PartitionServer<TRow, TResult>> create)
    {
        ArgumentNullException.ThrowIfNull(create);
        return new PartitionServerDefinition<TSettings, TRow, TResult>(CheckName(name), create);
    }

    private static string CheckName(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (SafeName.Problem(name) is { } problem)
        {
            throw new ArgumentException($"Server name '{SafeName.Describe(name)}' {problem}: a server name is {SafeName.Rule}.", nameof(name));
        }

        return name;
    }
}
