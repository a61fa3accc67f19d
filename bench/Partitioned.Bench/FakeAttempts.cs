using System.Net.Http.Json;
using System.Text.Json;
using Partitioned.Protocol;

namespace Partitioned.Bench;

/// <summary>
/// Simulated partition attempts for the coordinator-alone benchmark: one real Kestrel server on loopback that answers
/// <c>GET /p/{partition}/control/health</c> for every fake attempt, as the attempt's own server would (cluster,
/// partition, attempt; and, in a fake executor, every member the executor hosts), so the coordinator's health checks
/// run over real HTTP without a server per partition.
/// </summary>
internal sealed class FakeAttempts(WebApplication app, string clusterId, int partitions, int executors) : IAsyncDisposable
{
    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web);
    private readonly int[] _attempts = new int[partitions];
    private long _checks;

    /// <summary>Where the fake attempts answer (the address Kestrel bound, once started).</summary>
    public Uri Address => new(app.Urls.Single());

    /// <summary>Health checks answered so far.</summary>
    public long Checks => Interlocked.Read(ref _checks);

    public static async Task<FakeAttempts> StartAsync(string clusterId, int partitions, int executors)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var fake = new FakeAttempts(app, clusterId, partitions, executors);
        app.MapGet("/p/{partition:int}/control/health", (int partition) => fake.Health(partition));
        await app.StartAsync();
        return fake;
    }

    /// <summary>The fake executor a partition runs in (partitions are dealt round the executors), or null with none.</summary>
    public string? ExecutorOf(int partition) => executors == 0 ? null : "f" + (partition % executors).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The endpoint a partition's fake attempt registers.</summary>
    public Uri EndpointOf(int partition) => new(Address, $"p/{partition}/");

    /// <summary>Makes partition <paramref name="partition"/>'s fake attempt <paramref name="attempt"/> (what its health answers name from now on).</summary>
    public void SetAttempt(int partition, int attempt) => Volatile.Write(ref _attempts[partition], attempt);

    /// <summary>Registers partition <paramref name="partition"/>'s current fake attempt with the coordinator over HTTP.</summary>
    public async Task RegisterAsync(HttpClient coordinator, int partition, CancellationToken cancellationToken)
    {
        var request = new RegistrationRequest(partition, Volatile.Read(ref _attempts[partition]), EndpointOf(partition).ToString()) { Executor = ExecutorOf(partition) };
        using var response = await coordinator.PostAsJsonAsync("v1/register", request, s_json, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"registering fake partition {partition} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
        }
    }

    public ValueTask DisposeAsync() => app.DisposeAsync();

    private IResult Health(int partition)
    {
        Interlocked.Increment(ref _checks);
        if ((uint)partition >= (uint)partitions)
        {
            return Results.NotFound();
        }

        var health = new PartitionHealth("serving", clusterId, partition, Volatile.Read(ref _attempts[partition]), 0, 0);
        if (executors > 0)
        {
            var first = partition % executors;
            health = health with
            {
                Executor = ExecutorOf(partition),
                Members = [.. Enumerable.Range(0, (partitions - first + executors - 1) / executors).Select(i => first + (i * executors)).Select(p => new MemberHealth(p, Volatile.Read(ref _attempts[p]), "serving"))],
            };
        }

        return Results.Json(health, s_json);
    }
}
