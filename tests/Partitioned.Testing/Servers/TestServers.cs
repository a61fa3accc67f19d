using Partitioned.Server;

namespace Partitioned.Testing;

/// <summary>The server definitions tests run, registered by name so worker processes can run them too.</summary>
public static class TestServers
{
    public static PartitionServerDefinition<TestServerSettings, int, int> Rows { get; } =
        PartitionServerDefinition.Create("rows", (TestServerSettings settings) => new RowsServer(settings));

    /// <summary>Every definition, for a worker process's registry.</summary>
    public static IPartitionServerDefinition[] All { get; } = [Rows];

    public static PartitionServerDefinition<int, int> RowsWith(TestServerSettings? settings = null) => Rows.WithSettings(settings ?? new TestServerSettings());
}
