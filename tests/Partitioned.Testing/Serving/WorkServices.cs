using System.Net.Http.Json;
using Partitioned.Serving;
using Partitioned.Server;

namespace Partitioned.Testing;

/// <summary>
/// "work" (idempotent) and "work-once" (not): the handler records each run in a <see cref="WorkLedger"/> before it
/// works, so a test can tell whether a request ran twice (a non-idempotent one must not), wherever the partition runs.
/// A request may name a replica that stalls instead of working (a slow replica that answers health checks).
/// </summary>
internal static class WorkServices
{
    public static void Add(PartitionFeatures features, ServingTestServer server, ServingTestSettings settings)
    {
        var ledger = settings.LedgerUrl is { } url ? new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(10) } : null;
        foreach (var (name, idempotent) in new[] { ("work", true), ("work-once", false) })
        {
            features.AddService(ServiceDefinition.Create(
                name,
                async (WorkRequest request, CancellationToken cancellationToken) =>
                {
                    var context = server.PartitionContext;
                    var run = new WorkRun(name, request.Key, context.Partition, context.Replica, context.Attempt);
                    if (ledger is null)
                    {
                        WorkLedger.Local.Record(run);
                    }
                    else
                    {
                        (await ledger.PostAsJsonAsync("runs", run, CancellationToken.None)).EnsureSuccessStatusCode();
                    }

                    await Task.Delay(request.StallReplica == context.Replica ? request.StallMs : request.Ms, cancellationToken);
                    return new WorkReply(request.Key, context.Partition, context.Replica, context.Attempt);
                },
                new ServiceOptions { Idempotent = idempotent, Concurrency = 256, QueueCapacity = 4096, Deadline = TimeSpan.FromSeconds(60), MaxRequestBodySize = settings.MaxRequestBodySize }));
        }
    }
}
