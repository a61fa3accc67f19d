using ModelServing;
using Partitioned.Coordination;
using Partitioned.Serving;

namespace Partitioned.Bench;

/// <summary>Every serving target under the same wrk load, one after another, in one run.</summary>
internal static class ServingBenchmark
{
    public static async Task<List<ServingRow>> RunAsync(BenchSettings settings)
    {
        var model = ModelTarget.Train(settings.BenchFolder);
        var tls = TransportSecurity.Automatic();
        IServingTarget[] targets =
        [
            new BareKestrelTarget(),

            // TLS: bare Kestrel over TLS is the baseline of the TLS targets; every hop of theirs is TLS (client to front,
            // front to partition), all on loopback with automatic TLS's certificates.
            new BareKestrelTarget(tls),
            new DirectPartitionTarget("distributed, continuous, 1 partition direct, TLS", "hello", tls),
            new FrontTarget("distributed, 2 partitions via gateway, TLS", 2, new ServingOptions(), tls),
            new DirectPartitionTarget("distributed, continuous, 1 partition direct", "hello"),
            new FrontTarget("distributed, 2 partitions via gateway", 2, new ServingOptions()),
            new DirectPartitionTarget("micro-batch (2 ms), 1 partition direct", "hello-batch"),
            new FrontTarget("head-node over gRPC, 2 partitions", 2, new ServingOptions { Mode = ServingMode.HeadNode, Services = ["hello"], HeadNodeTransport = HeadNodeTransport.GrpcStream }),
            new FrontTarget("head-node over gRPC, 1 partition", 1, new ServingOptions { Mode = ServingMode.HeadNode, Services = ["hello"], HeadNodeTransport = HeadNodeTransport.GrpcStream }),
            new FrontTarget("head-node over HTTP long poll, 2 partitions", 2, new ServingOptions { Mode = ServingMode.HeadNode, Services = ["hello"], HeadNodeTransport = HeadNodeTransport.HttpLongPoll }),
            new FrontTarget("head-node over HTTP long poll, 1 partition", 1, new ServingOptions { Mode = ServingMode.HeadNode, Services = ["hello"], HeadNodeTransport = HeadNodeTransport.HttpLongPoll }),
            new FlaskTarget(settings.Python, Path.Combine(settings.BenchFolder, "flask_server.py")),
            new ModelTarget(ModelEngine.MlNet, model),
            new ModelTarget(ModelEngine.Onnx, model),
        ];
        if (settings.Only is { } only)
        {
            // A comma-separated list of name parts: targets measured side by side with the baseline in one run.
            var parts = only.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            targets = [.. targets.Where(t => t.Name == Report.Baseline || (t.Name == Report.TlsBaseline && parts.Any(static p => p.Contains("TLS", StringComparison.OrdinalIgnoreCase))) || parts.Any(part => t.Name.Contains(part, StringComparison.OrdinalIgnoreCase)))];
        }

        var rows = new List<ServingRow>();
        foreach (var target in targets)
        {
            await using (target)
            {
                var url = await target.StartAsync();
                var script = Path.Combine(settings.BenchFolder, target.Script);
                Console.WriteLine($"{target.Name}: {url}");
                await Wrk.RunAsync(url, 16, settings.Warmup, script);
                foreach (var connections in settings.Connections)
                {
                    var result = await Wrk.RunAsync(url, connections, settings.Duration, script);
                    Console.WriteLine($"  {connections,3} connections: {result.RequestsPerSecond,10:N0} req/s  p50 {result.P50Ms,7:0.###} ms  p99 {result.P99Ms,7:0.###} ms  errors {result.Errors}");
                    rows.Add(new ServingRow(target.Name, connections, result.RequestsPerSecond, result.P50Ms, result.P99Ms, result.Errors, result.Requests));
                }
            }
        }

        return rows;
    }
}

internal sealed record ServingRow(string Target, int Connections, double RequestsPerSecond, double P50Ms, double P99Ms, long Errors, long Requests);
