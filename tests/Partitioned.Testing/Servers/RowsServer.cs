using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Partitioned.Server;

namespace Partitioned.Testing;

/// <summary>
/// The workhorse test server: keeps its rows, serves them and a few probe routes, and hands its rows back as
/// results, so a test can check that partitions got complete, disjoint slices and that results come back in order.
/// </summary>
public sealed class RowsServer(TestServerSettings settings) : PartitionServer<int, int>
{
    public const string InitFailureMessage = "initialisation failed on purpose";

    public const string BlockMessage = "blocking initialisation, ignoring cancellation";

    public const string CrashMessage = "crashing the worker process on purpose";

    private List<int> _rows = [];

    protected override async ValueTask InitializeAsync(IAsyncEnumerable<int> rows, CancellationToken cancellationToken)
    {
        if (settings.Noisy)
        {
            Console.Out.WriteLine("{\"noise\": \"user code writing JSON-looking text to stdout\"}");
            Console.Error.WriteLine("user code writing to stderr");
        }

        if (settings.CrashInitPartitions.Contains(Context.Partition))
        {
            Console.Error.WriteLine($"{CrashMessage} (partition {Context.Partition}, attempt {Context.Attempt})");
            new Thread(() => throw new InvalidOperationException(CrashMessage)).Start();
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }

        if (settings.BlockInitPartitions.Contains(Context.Partition))
        {
            Console.Error.WriteLine($"{BlockMessage} (partition {Context.Partition}, attempt {Context.Attempt})");
            Thread.Sleep(Timeout.Infinite);
        }

        if (settings.HangInitPartitions.Contains(Context.Partition))
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }

        if (settings.FailInitPartitions.Contains(Context.Partition) && Context.Attempt < settings.FailInitBelowAttempt)
        {
            if (settings.UnfinishedLineOnFailure)
            {
                Console.Out.Write($"partition {Context.Partition} loading... ");
                Console.Out.Flush();
            }

            throw new InvalidOperationException($"{InitFailureMessage} (partition {Context.Partition}, attempt {Context.Attempt})");
        }

        _rows = await rows.ToListAsync(cancellationToken);
    }

    protected override void MapRoutes(IEndpointRouteBuilder app)
    {
        app.MapGet("/rows", () => _rows);
        app.MapGet("/info", () => new ServerInfo(Context.ClusterId, Context.Partition, Context.Attempt, _rows.Count, Environment.ProcessId, Environment.GetEnvironmentVariable("SLURMD_NODENAME")));
        app.MapGet("/slow", async (int ms, CancellationToken cancellationToken) =>
        {
            await Task.Delay(ms, CancellationToken.None);
            return Results.Text("done");
        });
        app.MapGet("/hold", async (string file) =>
        {
            // Held until the test creates the file (across processes: the test and the worker share the disk); the
            // ".held" file says the request arrived.
            await File.WriteAllTextAsync(file + ".held", string.Empty, CancellationToken.None);
            while (!File.Exists(file))
            {
                await Task.Delay(50, CancellationToken.None);
            }

            return Results.Text("released");
        });
        app.MapGet("/throw", string () => throw new InvalidOperationException("route failed on purpose"));
        app.MapPost("/sum", (SumRequest request) => new SumReply(request.Values.Sum()));
        if (settings.Noisy)
        {
            app.MapGet("/noise", () =>
            {
                Console.Out.WriteLine("[{\"partition\":99}]");
                return "ok";
            });
        }
    }

    protected override IAsyncEnumerable<int> ProduceResultsAsync(CancellationToken cancellationToken)
    {
        if (settings.LingerAfterResultsPartitions.Contains(Context.Partition))
        {
            // A foreground thread: the process cannot exit once the worker is done.
            new Thread(() => Thread.Sleep(Timeout.Infinite)) { IsBackground = false, Name = "linger" }.Start();
        }

        return _rows.ToAsyncEnumerable();
    }
}
