using Partitioned.Datasets;
using Partitioned.Server;
using Partitioned.Serving;

namespace Partitioned.Tests.Serving;

public sealed class ServiceDefinitionTests
{
    [Fact]
    public async Task RunOffline_SameHandlerOverADataset_RepliesInOrder()
    {
        var service = ServiceDefinition.CreateBatch("len", (IReadOnlyList<HelloRequest> batch) => batch.Select(r => new BatchReply(r.Foo.Length, batch.Count)).ToList(),
            new ServiceOptions { Mode = ProcessingMode.MicroBatch, MaxBatchSize = 3 });
        var requests = PartitionedDataset.FromCollection(Enumerable.Range(0, 10).Select(i => new HelloRequest(new string('a', i), i)), 2);

        var replies = await service.RunOfflineAsync(requests);

        replies.PartitionCount.Should().Be(2);
        (await replies.CollectAsync()).Select(r => r.FooLength).Should().Equal(Enumerable.Range(0, 10));
        (await replies.CollectPartitionAsync(0)).Select(r => r.BatchSize).Should().Equal(3, 3, 3, 2, 2);
    }

    [Fact]
    public async Task RunOffline_HandlerFailsARequest_NamesIt()
    {
        var service = ServiceDefinition.Create("faulty", new FaultyHandler());
        var requests = PartitionedDataset.FromCollection([new FaultRequest("ok"), new FaultRequest("fail")], 1);

        var act = () => service.RunOfflineAsync(requests);

        (await act.Should().ThrowAsync<ServiceOfflineException>()).Which.Message.Should().Contain("offline.0.1").And.Contain("422");
    }

    [Fact]
    public async Task RunOffline_HandlerThrows_NamesTheBatchAndKeepsTheCause()
    {
        var service = ServiceDefinition.Create("faulty", new FaultyHandler());
        var requests = PartitionedDataset.FromCollection([new FaultRequest("ok"), new FaultRequest("throw")], 1);

        var act = () => service.RunOfflineAsync(requests);

        var error = (await act.Should().ThrowAsync<ServiceOfflineException>()).Which;
        error.Message.Should().Contain("offline.0.0").And.Contain("InvalidOperationException").And.Contain("handler failed on purpose");
        error.InnerException.Should().BeOfType<InvalidOperationException>();
    }

    [Fact]
    public void AddService_SameNameTwice_IsAClearError()
    {
        var features = new PartitionFeatures();
        features.AddService(ServiceDefinition.Create("hello", (HelloRequest r) => new HelloReply(1)));

        var act = () => features.AddService(ServiceDefinition.Create("hello", (HelloRequest r) => new HelloReply(2)));

        act.Should().Throw<InvalidOperationException>().WithMessage("*'hello' is already defined*unique*");
    }

    [Fact]
    public void Options_Invalid_ListEveryProblem()
    {
        var act = () => ServiceDefinition.Create("x", (HelloRequest r) => new HelloReply(1), new ServiceOptions { QueueCapacity = 0, Deadline = TimeSpan.Zero, MaxBatchSize = 0 });

        var error = act.Should().Throw<Microsoft.Extensions.Options.OptionsValidationException>().Which;
        error.Failures.Should().HaveCount(3);
        error.Message.Should().Contain("QueueCapacity").And.Contain("Deadline").And.Contain("MaxBatchSize");
    }

    [Fact]
    public void Name_NotUrlSafe_IsRejected()
    {
        var act = () => ServiceDefinition.Create("a/b", (HelloRequest r) => new HelloReply(1));

        act.Should().Throw<ArgumentException>().WithMessage("*/serve/{name}*");
    }

    [Fact]
    public async Task ServingOptions_HeadNodeWithoutServices_IsRejected()
    {
        var act = () => ServingCluster.StartAsync(TestClusters.Integers(1, 1), TestServers.ServingWith(), new ServingOptions { Mode = ServingMode.HeadNode, LoadBalancing = "Nope" });

        (await act.Should().ThrowAsync<Microsoft.Extensions.Options.OptionsValidationException>())
            .Which.Message.Should().Contain("Services").And.Contain("LoadBalancing");
    }
}
