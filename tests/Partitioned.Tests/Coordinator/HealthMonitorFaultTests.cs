using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Partitioned.Coordination;
using Partitioned.Directories;
using Partitioned.Security;
using Xunit.Abstractions;

namespace Partitioned.Tests.Coordinator;

/// <summary>
/// Health checks against faults as a network shows them: a replica that accepts connections and never answers (a node
/// cut off: packets dropped, no reset), another server answering on a replica's port, and this process stalling.
/// </summary>
public sealed class HealthMonitorFaultTests(ITestOutputHelper output) : IDisposable
{
    private readonly (ILoggerFactory Factory, CapturingLoggerProvider Logs) _logging = TestLogging.Create(output);

    public void Dispose() => _logging.Factory.Dispose();

    [Fact]
    public async Task SilentReplica_DefaultTimeouts_IsSuspectedAtItsFirstFailedCheck_ThenLost()
    {
        await using var coordinator = await Partitioned.Coordination.Coordinator.StartAsync(new CoordinatorOptions
        {
            PartitionCount = 1,
            Replicas = 2,
            Token = ClusterToken.Create(),
            HealthCheckInterval = TimeSpan.FromMilliseconds(200),
            LoggerFactory = _logging.Factory,
        });
        var healthy = await HealthMonitorTests.StartFakePartitionAsync(context => HealthMonitorTests.AnswerHealthAsync(context, 0, 1));
        using var silent = new SilentServer();
        var kinds = new ConcurrentQueue<(PartitionChangeKind Kind, int Attempt)>();
        coordinator.Directory.Changed += (_, change) => kinds.Enqueue((change.Kind, change.Attempt));
        coordinator.AdmitAttempt(0, replica: 0, attempt: 0, version: 0);
        coordinator.AdmitAttempt(0, replica: 1, attempt: 1, version: 0);
        coordinator.Directory.Register(0, 0, silent.Endpoint);
        coordinator.Directory.Register(0, 1, new Uri(healthy.Urls.Single()));

        await Eventually.TrueAsync(() => coordinator.Directory.Current[0].Replicas[0].State == PartitionState.Lost, "the silent replica is marked lost");

        kinds.Where(static k => k.Attempt == 0).Select(static k => k.Kind).Should().ContainInOrder(PartitionChangeKind.Registered, PartitionChangeKind.Suspected, PartitionChangeKind.Lost);
        coordinator.Directory.Current[0].Replicas[0].LastError.Should().Contain("timed out").And.Contain("3 checks in a row");
        coordinator.Directory.Current[0].Replicas[1].Should().Match<ReplicaEntry>(r => r.State == PartitionState.Serving && !r.Suspected, "the answering replica is untouched");
        coordinator.Directory.Current[0].Endpoint.Should().Be(new Uri(healthy.Urls.Single()), "the healthy replica is the partition's primary");
        await healthy.DisposeAsync();
    }

    [Fact]
    public async Task SuspectedReplica_AnswersAgain_IsRecoveredWithoutBeingLost()
    {
        await using var coordinator = await Partitioned.Coordination.Coordinator.StartAsync(new CoordinatorOptions
        {
            PartitionCount = 1,
            Token = ClusterToken.Create(),
            HealthCheckInterval = TimeSpan.FromMilliseconds(100),
            UnhealthyThreshold = 1000,
            LoggerFactory = _logging.Factory,
        });
        var failing = true;
        await using var partition = await HealthMonitorTests.StartFakePartitionAsync(context => Volatile.Read(ref failing)
            ? Task.Run(() => context.Response.StatusCode = 500)
            : HealthMonitorTests.AnswerHealthAsync(context, 0, 0));
        coordinator.Directory.Register(0, 0, new Uri(partition.Urls.Single()));

        await Eventually.TrueAsync(() => coordinator.Directory.Current[0].Replicas[0].Suspected, "the replica is suspected");
        coordinator.Directory.Current[0].State.Should().Be(PartitionState.Serving, "a suspected replica still serves");
        Volatile.Write(ref failing, false);

        await Eventually.TrueAsync(() => !coordinator.Directory.Current[0].Replicas[0].Suspected, "the suspicion is cleared");
        coordinator.Directory.Current[0].State.Should().Be(PartitionState.Serving);
    }

    [Fact]
    public async Task HealthAnsweredByAnotherServer_CountsAsFailed_AndNeverRecoversTheLostReplica()
    {
        await using var coordinator = await Partitioned.Coordination.Coordinator.StartAsync(new CoordinatorOptions
        {
            PartitionCount = 2,
            Token = ClusterToken.Create(),
            ClusterId = "test",
            HealthCheckInterval = TimeSpan.FromMilliseconds(100),
            UnhealthyThreshold = 2,
            LoggerFactory = _logging.Factory,
        });

        // Partition 1 now holds the port partition 0 registered (a fixed port range after a re-launch): 200 OK, but not partition 0.
        await using var other = await HealthMonitorTests.StartFakePartitionAsync(context => HealthMonitorTests.AnswerHealthAsync(context, 1, 0));
        await using var otherCluster = await HealthMonitorTests.StartFakePartitionAsync(context => HealthMonitorTests.AnswerHealthAsync(context, 1, 0, clusterId: "another"));
        coordinator.Directory.Register(0, 0, new Uri(other.Urls.Single()));
        coordinator.Directory.Register(1, 0, new Uri(otherCluster.Urls.Single()));

        await Eventually.TrueAsync(() => coordinator.Directory.Current.Partitions.All(static p => p.State == PartitionState.Lost), "both partitions are marked lost");
        coordinator.Directory.Current[0].LastError.Should().Contain("answered by another server (cluster test, partition 1, attempt 0)");
        coordinator.Directory.Current[1].LastError.Should().Contain("answered by another server (cluster another, partition 1, attempt 0)");

        // Checks go on: the other server keeps answering 200, and the lost replicas stay lost.
        var checks = _logging.Logs.Text.Length;
        await Eventually.TrueAsync(() => _logging.Logs.Text.Length > checks + 200, "more checks were made");
        coordinator.Directory.Current.Partitions.Should().OnlyContain(static p => p.State == PartitionState.Lost);
    }

    [Fact]
    public async Task CheckTimeout_FiringFarLaterThanSet_DoesNotCount_WhileOneOnTimeDoes()
    {
        var time = new FakeTimeProvider();
        await using var coordinator = await Partitioned.Coordination.Coordinator.StartAsync(new CoordinatorOptions
        {
            PartitionCount = 1,
            Token = ClusterToken.Create(),
            HealthCheckInterval = TimeSpan.FromSeconds(1),
            HealthCheckTimeout = TimeSpan.FromSeconds(1),
            TimeProvider = time,
            LoggerFactory = _logging.Factory,
        });
        using var silent = new SilentServer();
        coordinator.Directory.Register(0, 0, silent.Endpoint);
        time.Advance(TimeSpan.FromMilliseconds(300)); // the sync tick that starts the replica's check loop
        await Task.Delay(200);
        time.Advance(TimeSpan.FromSeconds(1)); // the first check comes within one interval
        await Eventually.TrueAsync(() => silent.Accepted > 0, "the first check connected");

        // This process "stalls" for 5 s: the check's 1 s timeout fires 4 s late. That says nothing about the replica.
        time.Advance(TimeSpan.FromSeconds(5));
        await Eventually.TrueAsync(() => _logging.Logs.Text.Contains("this process stalled, so it does not count", StringComparison.Ordinal), "the late timeout was set aside");
        coordinator.Directory.Current[0].Replicas[0].Suspected.Should().BeFalse();

        // The next check times out on time: that counts.
        await Task.Delay(200);
        time.Advance(TimeSpan.FromSeconds(1));
        await Eventually.TrueAsync(() => coordinator.Directory.Current[0].Replicas[0].Suspected, "an on-time timeout makes the replica suspected");
    }

    /// <summary>Accepts connections and never answers nor closes them: a peer whose packets are dropped.</summary>
    private sealed class SilentServer : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly ConcurrentBag<TcpClient> _held = [];
        private int _accepted;

        public SilentServer()
        {
            _listener.Start();
            _ = AcceptAsync();
        }

        public Uri Endpoint => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");

        public int Accepted => Volatile.Read(ref _accepted);

        public void Dispose()
        {
            _listener.Stop();
            foreach (var client in _held)
            {
                client.Dispose();
            }
        }

        private async Task AcceptAsync()
        {
            try
            {
                while (true)
                {
                    _held.Add(await _listener.AcceptTcpClientAsync());
                    Interlocked.Increment(ref _accepted);
                }
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                // Stopped.
            }
        }
    }
}
