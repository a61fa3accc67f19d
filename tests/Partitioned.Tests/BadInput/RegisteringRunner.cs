using System.Net.Http.Headers;
using System.Net.Http.Json;
using Partitioned.Clustering;

namespace Partitioned.Tests.BadInput;

/// <summary>
/// A runner with no servers behind it: registers each attempt at an address nobody dials, then waits for results
/// posted to the worker route. It leaves the coordinator's control and worker routes to the test.
/// </summary>
internal sealed class RegisteringRunner : IPartitionRunner
{
    /// <summary>Where every attempt says it listens.</summary>
    public static readonly Uri Endpoint = new("http://127.0.0.1:9/");

    public string Name => "registering";

    public async Task<IReadOnlyList<TResult>> RunAttemptAsync<TRow, TResult>(PartitionAttempt<TRow, TResult> attempt, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { BaseAddress = attempt.Launch.Coordinator };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", attempt.Launch.Token.Value);
        var registration = new { partition = attempt.Launch.Partition, attempt = attempt.Launch.Attempt, endpoint = Endpoint.ToString() };
        (await http.PostAsJsonAsync("v1/register", registration, cancellationToken)).EnsureSuccessStatusCode();
        return await attempt.PostedResults.WaitAsync(cancellationToken);
    }
}
