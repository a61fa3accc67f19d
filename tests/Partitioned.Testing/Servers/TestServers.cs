using Partitioned.Server;

namespace Partitioned.Testing;

/// <summary>The server definitions tests run, registered by name so worker processes can run them too.</summary>
public static class TestServers
{
    public static PartitionServerDefinition<TestServerSettings, int, int> Rows { get; } =
        PartitionServerDefinition.Create("rows", (TestServerSettings settings) => new RowsServer(settings));

    public static PartitionServerDefinition<ServingTestSettings, int, int> Serving { get; } =
        PartitionServerDefinition.Create("serving", (ServingTestSettings settings) => new ServingTestServer(settings));

    /// <summary>Every definition, for a worker process's registry.</summary>
    public static IPartitionServerDefinition[] All { get; } = [Rows, Serving, ReadingsServer.Definition, ShardReadingServer.Definition];

    public static PartitionServerDefinition<int, int> ServingWith(ServingTestSettings? settings = null) => Serving.WithSettings(settings ?? new ServingTestSettings());

    public static PartitionServerDefinition<int, int> RowsWith(TestServerSettings? settings = null) => Rows.WithSettings(settings ?? new TestServerSettings());
}
