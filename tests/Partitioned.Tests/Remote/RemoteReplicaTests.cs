using Microsoft.Extensions.Logging;
using Partitioned.Client;
using Partitioned.Coordination;
using Partitioned.Directories;
using Partitioned.Security;
using Xunit.Abstractions;
using CoordinatorHost = Partitioned.Coordination.Coordinator;

namespace Partitioned.Tests.Remote;

/// <summary>Replicas through the gRPC directory: a remote client sees every replica, and which one each change is about.</summary>
public sealed class RemoteReplicaTests(ITestOutputHelper output) : IDisposable
{
    private readonly (ILoggerFactory Factory, CapturingLoggerProvider Logs) _logging = TestLogging.Create(output);

    public void Dispose() => _logging.Factory.Dispose();

    [Fact]
    public async Task Watch_WithTwoReplicas_ClientSeesEveryReplica_AndAPartitionServesWhileOneReplicaDoes()
    {
        var key = ClientKey.Create();
        await using var coordinator = await CoordinatorHost.StartAsync(new CoordinatorOptions
        {
            PartitionCount = 2,
            Replicas = 2,
            Token = ClusterToken.Create(),
            ClientKeys = [key],
            HealthCheckInterval = TimeSpan.FromHours(1),
            LoggerFactory = _logging.Factory,
        });
        await using var client = await PartitionedClient.ConnectAsync(coordinator.Address, key.Value);
        var changes = new List<PartitionChange>();
        client.Directory.Changed += (_, change) =>
        {
            lock (changes)
            {
                changes.Add(change);
            }
        };

        // Attempt numbers are unique within a partition: replica r runs attempt r here.
        var directory = coordinator.Directory;
        for (var partition = 0; partition < 2; partition++)
        {
            for (var replica = 0; replica < 2; replica++)
            {
                coordinator.AdmitAttempt(partition, replica, attempt: replica, version: 0).Should().BeTrue();
                var labels = new Dictionary<string, string> { ["test/where"] = $"{partition}.{replica}" };
                directory.Register(partition, replica, Endpoint(partition, replica), labels: labels).Result.Should().Be(RegistrationResult.Accepted);
            }
        }

        await client.Directory.WaitUntilAsync(s => s.Version == directory.Current.Version, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        client.Directory.ReplicaCount.Should().Be(2);
        for (var partition = 0; partition < 2; partition++)
        {
            client.Directory.Current[partition].Replicas.Select(static r => (r.Replica, r.State.ToString(), r.Attempt, r.Endpoint))
                .Should().Equal(directory.Current[partition].Replicas.Select(static r => (r.Replica, r.State.ToString(), r.Attempt, r.Endpoint)));
            client.Directory.Current[partition].Replicas.Select(static r => r.Labels["test/where"])
                .Should().Equal([$"{partition}.0", $"{partition}.1"], "the labels each replica announced travel with the gRPC directory");
        }

        directory.MarkLost(1, 1, "replica 1 of partition 1 went silent");
        await client.Directory.WaitUntilAsync(s => s.Version == directory.Current.Version, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));

        var entry = client.Directory.Current[1];
        entry.State.Should().Be(PartitionState.Serving, "a partition serves while one of its replicas does");
        entry.ServingReplicas.Should().Be(1);
        entry.LiveEndpoints.Should().Equal(Endpoint(1, 0));
        PartitionChange last;
        lock (changes)
        {
            last = changes[^1];
        }

        last.Kind.Should().Be(PartitionChangeKind.Lost);
        last.Replica!.Replica.Should().Be(1, "the change names the replica it is about");
        last.Replica.State.Should().Be(PartitionState.Lost);
        last.Replica.LastError.Should().Be("replica 1 of partition 1 went silent");
    }

    private static Uri Endpoint(int partition, int replica) => new($"http://127.0.0.1:{20_000 + (partition * 10) + replica}/");
}
