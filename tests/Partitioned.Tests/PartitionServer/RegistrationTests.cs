using System.Net;
using System.Net.Sockets;
using Partitioned.Coordination;
using Partitioned.Security;
using Partitioned.Server;
using Xunit.Abstractions;

namespace Partitioned.Tests.PartitionServer;

public sealed class RegistrationTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Registration_RetriesUntilCoordinatorListens()
    {
        var (loggerFactory, logs) = TestLogging.Create(output);
        var token = ClusterToken.Create();
        var port = FreePort();
        using var abandon = new CancellationTokenSource();
        var run = PartitionServerHost.RunAsync(
            new RowsServer(new()),
            new PartitionLaunch("c", 0, 0, 1, new Uri($"http://127.0.0.1:{port}/"), token),
            new[] { 1 }.ToAsyncEnumerable(),
            loggerFactory,
            cancellationToken: abandon.Token);
        await Eventually.TrueAsync(() => logs.Text.Contains("Registration try 2 failed", StringComparison.Ordinal), "registration was retried");

        await using var coordinator = await Partitioned.Coordination.Coordinator.StartAsync(new CoordinatorOptions { PartitionCount = 1, Token = token, Port = port });

        await coordinator.Directory.WaitUntilAsync(s => s.IsComplete, CancellationToken.None).WaitAsync(Eventually.DefaultTimeout);
        run.IsCompleted.Should().BeFalse();
        await abandon.CancelAsync();
        await run.IgnoreFailureAsync();
    }

    [Fact]
    public async Task Registration_GivesUpAtDeadline_NamingCoordinatorAndLastError()
    {
        var (loggerFactory, _) = TestLogging.Create(output);
        var port = FreePort();
        var launch = new PartitionLaunch("c", 0, 0, 1, new Uri($"http://127.0.0.1:{port}/"), ClusterToken.Create())
        {
            Server = new PartitionServerOptions { RegistrationTimeout = TimeSpan.FromSeconds(1) },
        };

        var act = () => PartitionServerHost.RunAsync(new RowsServer(new()), launch, new[] { 1 }.ToAsyncEnumerable(), loggerFactory);

        var error = (await act.Should().ThrowAsync<PartitionAttemptException>()).Which;
        error.InnerException.Should().BeOfType<RegistrationFailedException>().Which.StatusCode.Should().BeNull();
        error.Message.Should().Contain("registration failed").And.Contain($"127.0.0.1:{port}").And.Contain("last error");
    }

    [Fact]
    public async Task Registration_WrongToken_FailsAt403WithoutRetrying()
    {
        var (loggerFactory, _) = TestLogging.Create(output);
        await using var coordinator = await Partitioned.Coordination.Coordinator.StartAsync(new CoordinatorOptions { PartitionCount = 1, Token = ClusterToken.Create() });
        var launch = new PartitionLaunch("c", 0, 0, 1, coordinator.Address, ClusterToken.Create());

        var act = () => PartitionServerHost.RunAsync(new RowsServer(new()), launch, new[] { 1 }.ToAsyncEnumerable(), loggerFactory);

        (await act.Should().ThrowAsync<PartitionAttemptException>()).Which.InnerException
            .Should().BeOfType<RegistrationFailedException>().Which.StatusCode.Should().Be(403);
    }

    [Fact]
    public async Task Registration_StaleAttempt_FailsAt409()
    {
        var (loggerFactory, _) = TestLogging.Create(output);
        var token = ClusterToken.Create();
        await using var coordinator = await Partitioned.Coordination.Coordinator.StartAsync(new CoordinatorOptions { PartitionCount = 1, Token = token });
        coordinator.Directory.Register(0, 3, new Uri("http://127.0.0.1:9/"));
        var launch = new PartitionLaunch("c", 0, 1, 1, coordinator.Address, token);

        var act = () => PartitionServerHost.RunAsync(new RowsServer(new()), launch, new[] { 1 }.ToAsyncEnumerable(), loggerFactory);

        var error = (await act.Should().ThrowAsync<PartitionAttemptException>()).Which;
        error.InnerException.Should().BeOfType<RegistrationFailedException>().Which.StatusCode.Should().Be(409);
        error.Message.Should().Contain("stale");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
