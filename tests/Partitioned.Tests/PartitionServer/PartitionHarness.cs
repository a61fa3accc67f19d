using System.Net.Http.Headers;
using Microsoft.Extensions.Logging;
using Partitioned.Coordination;
using Partitioned.Security;
using Partitioned.Server;
using Xunit.Abstractions;

namespace Partitioned.Tests.PartitionServer;

/// <summary>One partition server attempt against a real coordinator, both on Kestrel at 127.0.0.1:0.</summary>
internal sealed class PartitionHarness<TRow, TResult> : IAsyncDisposable
{
    private readonly CancellationTokenSource _abandon = new();

    private PartitionHarness(Partitioned.Coordination.Coordinator coordinator, ClusterToken token, ILoggerFactory loggerFactory, CapturingLoggerProvider logs)
    {
        Coordinator = coordinator;
        Token = token;
        LoggerFactory = loggerFactory;
        Logs = logs;
    }

    public Partitioned.Coordination.Coordinator Coordinator { get; }

    public ClusterToken Token { get; }

    public ILoggerFactory LoggerFactory { get; }

    public CapturingLoggerProvider Logs { get; }

    public Task<IReadOnlyList<TResult>> Run { get; private set; } = null!;

    public Uri Endpoint => Coordinator.Directory.Current[0].Endpoint!;

    public static async Task<PartitionHarness<TRow, TResult>> StartAsync(
        PartitionServer<TRow, TResult> server, IEnumerable<TRow> rows, ITestOutputHelper output, PartitionServerOptions? options = null, bool waitForRegistration = true)
    {
        var (loggerFactory, logs) = TestLogging.Create(output);
        var token = ClusterToken.Create();
        var coordinator = await Partitioned.Coordination.Coordinator.StartAsync(new CoordinatorOptions
        {
            PartitionCount = 1,
            Token = token,
            LoggerFactory = loggerFactory,
            HealthCheckInterval = TimeSpan.FromHours(1),
        });
        var harness = new PartitionHarness<TRow, TResult>(coordinator, token, loggerFactory, logs);
        var launch = new PartitionLaunch("test-cluster", 0, 0, 1, coordinator.Address, token) { Server = options ?? new PartitionServerOptions() };
        harness.Run = PartitionServerHost.RunAsync(server, launch, rows.ToAsyncEnumerable(), loggerFactory, cancellationToken: harness._abandon.Token);
        if (waitForRegistration)
        {
            await Task.WhenAny(harness.Run, coordinator.Directory.WaitUntilAsync(s => s.IsComplete, CancellationToken.None)).WaitAsync(Eventually.DefaultTimeout);
            if (harness.Run.IsFaulted)
            {
                await harness.Run;
            }
        }

        return harness;
    }

    /// <summary>A client for the partition's base address; with the cluster token unless <paramref name="authorize"/> is false.</summary>
    public HttpClient Client(bool authorize = true)
    {
        var client = new HttpClient { BaseAddress = Endpoint };
        if (authorize)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token.Value);
        }

        return client;
    }

    public async Task<IReadOnlyList<TResult>> ShutdownAsync()
    {
        using var client = Client();
        (await client.PostAsync("control/shutdown", null)).EnsureSuccessStatusCode();
        return await Run.WaitAsync(Eventually.DefaultTimeout);
    }

    public async ValueTask DisposeAsync()
    {
        await _abandon.CancelAsync();
        await Run.IgnoreFailureAsync();
        await Coordinator.DisposeAsync();
        LoggerFactory.Dispose();
        _abandon.Dispose();
    }
}
