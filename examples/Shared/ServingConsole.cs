using Partitioned.Serving;

namespace Partitioned.Examples;

/// <summary>What every serving example does once it runs: say where to send requests, serve until Ctrl+C or SIGTERM, stop gracefully.</summary>
internal static class ServingConsole
{
    public static async Task ServeUntilStoppedAsync<TRow, TResult>(ServingCluster<TRow, TResult> serving, string service, string exampleJson)
    {
        var url = serving.GetServiceUri(service);
        Console.WriteLine($"Serving '{service}' on {serving.Cluster.Dataset.PartitionCount} partitions ({serving.Mode} mode, {serving.Cluster.Options.Runner.Name} runner). Clients call:");
        Console.WriteLine(url);
        Console.WriteLine($"Try: curl -s -X POST {url} -H 'Content-Type: application/json' -d '{exampleJson}'");
        Console.WriteLine("Press Ctrl+C to stop.");

        await ShutdownSignal.WaitAsync();
        await serving.StopAsync();
        Console.WriteLine("Stopped.");
    }
}
