using Partitioned.Serving;
using Partitioned.Server;

namespace ServingHelloWorld;

/// <summary>A partition server with one service, "hello". It needs no rows; each partition answers requests.</summary>
public sealed class HelloServer : PartitionServer<int, int>
{
    public static readonly ServiceDefinition<HelloRequest, HelloReply> Hello =
        ServiceDefinition.Create("hello", (HelloRequest request) => new HelloReply(request.Foo.Length));

    public static readonly PartitionServerDefinition<int, int> Definition = PartitionServerDefinition.Create("hello-world", () => new HelloServer());

    protected override ValueTask InitializeAsync(IAsyncEnumerable<int> rows, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    protected override void MapRoutes(IEndpointRouteBuilder app)
    {
    }

    protected override void ConfigureFeatures(PartitionFeatures features) => features.AddService(Hello);
}
