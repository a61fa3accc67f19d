using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Routing;
using ModelServing;
using Partitioned.Clustering;
using Partitioned.Datasets;
using Partitioned.Server;
using Partitioned.Serving;

namespace Partitioned.Bench;

/// <summary>
/// Latency-target micro-batching against hand-tuned fixed windows: the ModelServing example's ONNX Runtime classifier on
/// one in-process partition, one service per batching policy (same model, same session), called directly over HTTP.
/// Capacity is measured first (64 closed-loop callers, the best policy); then each policy gets the same open-loop load
/// (requests sent at a fixed rate, paced per millisecond, whatever the answers) at 10%, 50% and 90% of it, in one run.
/// Service latency is what the partition measured from arrival to answer (the request duration histogram), so it
/// holds the batching and the model, not the client's HTTP.
/// </summary>
internal static class BatchingBenchmark
{
    public static readonly TimeSpan Target = TimeSpan.FromMilliseconds(5);

    /// <summary>The fixed windows tried by hand at each load; the best of them is the baseline there.</summary>
    public static readonly TimeSpan[] FixedWindows = [TimeSpan.Zero, TimeSpan.FromMilliseconds(0.5), TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(2), TimeSpan.FromMilliseconds(5)];

    private static readonly byte[] s_body = Encoding.UTF8.GetBytes("""{"sepalLength":6.1,"sepalWidth":2.8,"petalLength":4.7,"petalWidth":1.2}""");

    public static async Task<List<BatchingRow>> RunAsync(string benchFolder, TimeSpan duration)
    {
        var settings = ModelTarget.Train(benchFolder).Value.SettingsFor(ModelEngine.Onnx);
        await using var cluster = await Cluster.StartAsync(PartitionedDataset.FromGenerator(1, _ => Array.Empty<int>()), BatchingServer.Definition.WithSettings(settings));
        using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 512, PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60) }) { Timeout = TimeSpan.FromSeconds(30) };
        using var durations = new ServiceDurations();
        var policies = new[] { BatchingServer.TargetService }.Concat(FixedWindows.Select(BatchingServer.FixedService)).ToArray();
        Uri Url(string service) => new(cluster.Hosts[0], "serve/" + service);

        // Capacity: closed loop, 64 callers, each policy briefly; the best is 100%.
        var capacity = 0.0;
        foreach (var policy in policies)
        {
            var perSecond = await ClosedLoopAsync(client, Url(policy), 64, TimeSpan.FromSeconds(2));
            Console.WriteLine($"  capacity probe {policy,-12} {perSecond,10:N0} req/s");
            capacity = Math.Max(capacity, perSecond);
        }

        var rows = new List<BatchingRow>();
        foreach (var load in new[] { 0.1, 0.5, 0.9 })
        {
            var rate = capacity * load;
            foreach (var policy in policies)
            {
                await OpenLoopAsync(client, Url(policy), rate, TimeSpan.FromSeconds(1)); // warm-up (and the model's cold start)
                durations.Reset(policy);
                var run = await OpenLoopAsync(client, Url(policy), rate, duration);
                var service = durations.Take(policy);
                var row = new BatchingRow(load, rate, policy, run.PerSecond, run.Errors, LoadLoop.Percentile(run.LatenciesMs, 50), LoadLoop.Percentile(run.LatenciesMs, 99),
                    LoadLoop.Percentile(service, 50), LoadLoop.Percentile(service, 99));
                Console.WriteLine($"  {load,4:P0} {policy,-12} {row.PerSecond,9:N0} req/s  client p50 {row.ClientP50Ms,6:0.00} p99 {row.ClientP99Ms,6:0.00} ms  service p50 {row.ServiceP50Ms,6:0.00} p99 {row.ServiceP99Ms,6:0.00} ms  errors {row.Errors}");
                rows.Add(row);
            }
        }

        return rows;
    }

    public static string Markdown(int cores, TimeSpan duration, List<BatchingRow> rows)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"Machine: {cores} cores, shared with other engineers' builds and tests while this ran: compare rows of one load with each other (same run), not absolute numbers across runs.");
        text.AppendLine(CultureInfo.InvariantCulture, $"Command: `dotnet bench/Partitioned.Bench/bin/Release/net10.0/Partitioned.Bench.dll batching --duration {duration.TotalSeconds} --out bench/results/batching`.");
        text.AppendLine(CultureInfo.InvariantCulture, $"ONNX Runtime micro-batch (the ModelServing classifier), 1 partition called directly; open-loop load at a share of the measured capacity; MaxBatchSize 64; latency target {Target.TotalMilliseconds} ms. Service latency: arrival to answer on the partition.");
        text.AppendLine();
        text.AppendLine("| load | policy | offered req/s | req/s | errors | client p50 ms | client p99 ms | service p50 ms | service p99 ms |");
        text.AppendLine("|---:|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in rows)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"| {r.Load:P0} | {r.Policy} | {r.Offered:N0} | {r.PerSecond:N0} | {r.Errors} | {r.ClientP50Ms:0.00} | {r.ClientP99Ms:0.00} | {r.ServiceP50Ms:0.00} | {r.ServiceP99Ms:0.00} |");
        }

        text.AppendLine();
        text.AppendLine("| load | best fixed window (most req/s, then lowest service p99) | target req/s vs best fixed | target service p99 vs target | target service p99 vs best fixed | target client p99 vs best fixed |");
        text.AppendLine("|---:|---|---:|---:|---:|---:|");
        foreach (var load in rows.GroupBy(static r => r.Load))
        {
            var target = load.Single(static r => r.Policy == BatchingServer.TargetService);
            var best = load.Where(static r => r.Policy != BatchingServer.TargetService)
                .OrderByDescending(static r => Math.Round(r.PerSecond / r.Offered, 2)).ThenBy(static r => r.ServiceP99Ms).First();
            text.AppendLine(CultureInfo.InvariantCulture, $"| {load.Key:P0} | {best.Policy} | {target.PerSecond / best.PerSecond:P1} | {target.ServiceP99Ms:0.00} / {Target.TotalMilliseconds} ms | {target.ServiceP99Ms / best.ServiceP99Ms:0.00}x | {target.ClientP99Ms / best.ClientP99Ms:0.00}x |");
        }

        return text.ToString();
    }

    private static async Task<double> ClosedLoopAsync(HttpClient client, Uri url, int callers, TimeSpan duration)
    {
        long done = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, callers).Select(_ => Task.Run(async () =>
        {
            while (clock.Elapsed < duration)
            {
                if (await SendAsync(client, url) == 200)
                {
                    Interlocked.Increment(ref done);
                }
            }
        })));
        return done / clock.Elapsed.TotalSeconds;
    }

    /// <summary>Sends <paramref name="perSecond"/> requests a second for <paramref name="duration"/>, each on its own, paced per millisecond.</summary>
    private static async Task<OpenLoopRun> OpenLoopAsync(HttpClient client, Uri url, double perSecond, TimeSpan duration)
    {
        var latencies = new ConcurrentBag<double>();
        var inFlight = new List<Task>();
        long sent = 0;
        var errors = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < duration)
        {
            var due = (long)(clock.Elapsed.TotalSeconds * perSecond);
            for (; sent < due; sent++)
            {
                inFlight.Add(Task.Run(async () =>
                {
                    var started = Stopwatch.GetTimestamp();
                    if (await SendAsync(client, url) == 200)
                    {
                        latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    }
                    else
                    {
                        Interlocked.Increment(ref errors);
                    }
                }));
            }

            await Task.Delay(1);
        }

        await Task.WhenAll(inFlight);
        return new OpenLoopRun(latencies.Count / clock.Elapsed.TotalSeconds, errors, [.. latencies]);
    }

    private static async Task<int> SendAsync(HttpClient client, Uri url)
    {
        try
        {
            using var content = new ByteArrayContent(s_body);
            content.Headers.ContentType = new("application/json");
            using var response = await client.PostAsync(url, content);
            await response.Content.LoadIntoBufferAsync();
            return (int)response.StatusCode;
        }
        catch (HttpRequestException)
        {
            return 0;
        }
    }

    private sealed record OpenLoopRun(double PerSecond, int Errors, double[] LatenciesMs);

    /// <summary>The partition's own request durations, per service, from the serving meter.</summary>
    private sealed class ServiceDurations : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly ConcurrentDictionary<string, ConcurrentQueue<double>> _byService = new();

        public ServiceDurations()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == ServingTelemetry.MeterName && instrument.Name == ServingTelemetry.RequestDuration)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<double>((_, seconds, tags, _) =>
            {
                foreach (var tag in tags)
                {
                    if (tag.Key == ServingTelemetry.ServiceAttribute && tag.Value is string service)
                    {
                        _byService.GetOrAdd(service, static _ => new()).Enqueue(seconds * 1000);
                    }
                }
            });
            _listener.Start();
        }

        public void Reset(string service) => _byService[service] = new();

        public double[] Take(string service) => _byService.TryGetValue(service, out var values) ? [.. values] : [];

        public void Dispose() => _listener.Dispose();
    }

    /// <summary>The ONNX classifier behind one service per batching policy.</summary>
    private sealed class BatchingServer(ModelSettings settings) : PartitionServer<int, int>, IDisposable
    {
        public const string TargetService = "target-5ms";

        private OnnxClassifier? _onnx;

        public static PartitionServerDefinition<ModelSettings, int, int> Definition { get; } =
            PartitionServerDefinition.Create("batching-bench", (ModelSettings s) => new BatchingServer(s));

        public static string FixedService(TimeSpan window) => "fixed-" + window.TotalMilliseconds.ToString("0.#", CultureInfo.InvariantCulture).Replace('.', '_') + "ms";

        public void Dispose() => _onnx?.Dispose();

        protected override ValueTask InitializeAsync(IAsyncEnumerable<int> rows, CancellationToken cancellationToken)
        {
            _onnx = new OnnxClassifier(settings);
            return ValueTask.CompletedTask;
        }

        protected override void MapRoutes(IEndpointRouteBuilder app)
        {
        }

        protected override void ConfigureFeatures(PartitionFeatures features)
        {
            var onnx = _onnx!;
            features.AddService(ServiceDefinition.CreateBatch(TargetService, (IReadOnlyList<Flower> batch) => onnx.Predict(batch),
                new ServiceOptions { Mode = ProcessingMode.MicroBatch, MaxBatchSize = 64, LatencyTarget = Target }));
            foreach (var window in FixedWindows)
            {
                features.AddService(ServiceDefinition.CreateBatch(FixedService(window), (IReadOnlyList<Flower> batch) => onnx.Predict(batch),
                    new ServiceOptions { Mode = ProcessingMode.MicroBatch, MaxBatchSize = 64, MaxBatchDelay = window }));
            }
        }
    }
}

internal sealed record BatchingRow(double Load, double Offered, string Policy, double PerSecond, int Errors, double ClientP50Ms, double ClientP99Ms, double ServiceP50Ms, double ServiceP99Ms);
