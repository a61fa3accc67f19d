using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Partitioned.Directories;
using Partitioned.Protocol;
using Partitioned.Shared;

namespace Partitioned.Coordination;

/// <summary>
/// The coordinator's own JSON routes (part of <see cref="CoordinatorCore"/>). Every one under <c>/v1</c> requires the
/// cluster token, except the read-only ones (<c>GET /v1/hosts</c>, <c>/v1/status</c>, <c>/v1/client</c>), which also
/// take a client key.
/// </summary>
internal static class CoordinatorEndpoints
{
    public static void Map(CoordinatorRoutes routes, PartitionDirectory directory, Func<Uri?> grpcAddress)
    {
        var read = routes.Read;
        read.MapGet("/hosts", () => Results.Json(ToHosts(directory.Current), ProtocolJson.Options));
        read.MapGet("/status", () => Results.Json(ToStatus(directory), ProtocolJson.Options));
        read.MapGet("/client", () => Results.Json(
            new ClientDiscoveryResponse(directory.Id, directory.Current.Version, directory.Current.PartitionCount, grpcAddress()?.ToString()),
            ProtocolJson.Options));

        var v1 = routes.Control;
        v1.MapPost("/register", (HttpRequest request, CancellationToken cancellationToken) => RegisterAsync(request, directory, cancellationToken));
        v1.MapPost("/failures", (HttpRequest request, CancellationToken cancellationToken) => ReportFailureAsync(request, directory, cancellationToken));
    }

    private static async Task<IResult> RegisterAsync(HttpRequest request, PartitionDirectory directory, CancellationToken cancellationToken)
    {
        var (registration, problem) = await JsonBody.ReadAsync<RegistrationRequest>(request, ProtocolJson.Options, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        if (!TryParseEndpoint(registration!.Endpoint, out var endpoint))
        {
            return ProblemResponse.BadRequest($"endpoint '{registration.Endpoint}' is not an absolute http or https address such as http://127.0.0.1:41234.");
        }

        if (registration.Attempt < 0)
        {
            return ProblemResponse.BadRequest($"attempt must be 0 or more (was {registration.Attempt}).");
        }

        if (registration.Node is { } node && (node.Length is 0 or > 255 || node.Any(char.IsControl)))
        {
            return ProblemResponse.BadRequest("node must be a node name of 1 to 255 characters without control characters, or absent.");
        }

        if (PartitionLabels.Check(registration.Labels) is { Count: > 0 } labelProblems)
        {
            return ProblemResponse.BadRequest(string.Join(" ", labelProblems));
        }

        if (registration.Executor is { } executor && !ExecutorProtocol.IsExecutorId(executor))
        {
            return ProblemResponse.BadRequest("executor must be 1 to 64 ASCII letters, digits, '.', '_' or '-', or absent.");
        }

        var outcome = directory.Register(registration.Partition, registration.Attempt, endpoint, registration.Node, registration.Labels, registration.Executor);
        return outcome.Result switch
        {
            RegistrationResult.Accepted or RegistrationResult.AlreadyRegistered => Results.Json(
                new RegistrationResponse(registration.Partition, registration.Attempt, outcome.Version, outcome.Replaced is { Endpoint: { } old } replaced ? new HostEntry(replaced.Partition, replaced.Attempt, old.ToString(), replaced.Node) : null),
                ProtocolJson.Options),
            RegistrationResult.UnknownPartition => ProblemResponse.BadRequest(OutOfRange(registration.Partition, directory)),
            RegistrationResult.StaleAttempt => ProblemResponse.Conflict(
                $"Attempt {registration.Attempt} of partition {registration.Partition} is stale: attempt {Math.Max(outcome.Entry!.Attempt, directory.AdmittedAttempt(registration.Partition))} is already known."),
            RegistrationResult.NotLaunched => ProblemResponse.Conflict(
                $"Attempt {registration.Attempt} of partition {registration.Partition} was not launched or assigned by this cluster (its current attempt is {directory.AdmittedAttempt(registration.Partition)}); a worker launched by an engine asks the coordinator for its attempt number (POST /v1/attempts/{registration.Partition})."),
            _ => ProblemResponse.Conflict(
                $"Partition {registration.Partition} is {outcome.Entry!.State.ToString().ToLowerInvariant()} and takes no more registrations in this run."),
        };
    }

    private static async Task<IResult> ReportFailureAsync(HttpRequest request, PartitionDirectory directory, CancellationToken cancellationToken)
    {
        var (report, problem) = await JsonBody.ReadAsync<FailureReport>(request, ProtocolJson.Options, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        if ((uint)report!.Partition >= (uint)directory.Current.PartitionCount)
        {
            return ProblemResponse.BadRequest(OutOfRange(report.Partition, directory));
        }

        if (string.IsNullOrWhiteSpace(report.Message))
        {
            return ProblemResponse.BadRequest("message must say what failed; it was empty.");
        }

        // A stale report is acknowledged but ignored by the directory's rules.
        directory.ReportError(report.Partition, report.Attempt, report.Message);
        return Results.Accepted();
    }

    private static string OutOfRange(int partition, PartitionDirectory directory)
    {
        var count = directory.Current.PartitionCount;
        return $"Partition {partition} is unknown: this cluster has {count} partitions (0 to {count - 1}).";
    }

    /// <summary>Accepts absolute http(s) addresses and gives them a trailing slash, so relative paths resolve under any path base.</summary>
    internal static bool TryParseEndpoint(string value, out Uri endpoint)
    {
        endpoint = null!;
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            || !string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment))
        {
            return false;
        }

        endpoint = uri.AbsolutePath.EndsWith('/') ? uri : new UriBuilder(uri) { Path = uri.AbsolutePath + "/" }.Uri;
        return true;
    }

    private static HostsResponse ToHosts(DirectorySnapshot snapshot) => new(
        snapshot.Version,
        [.. snapshot.Partitions.Where(static p => p.State == PartitionState.Serving).Select(static p => new HostEntry(p.Partition, p.Attempt, p.Endpoint!.ToString(), p.Node))]);

    private static StatusResponse ToStatus(PartitionDirectory directory)
    {
        var snapshot = directory.Current;
        return new StatusResponse(
            snapshot.Version,
            snapshot.PartitionCount,
            snapshot.ServingCount,
            snapshot.IsComplete,
            [.. snapshot.Partitions.Select(p => new PartitionStatus(
                p.Partition,
                p.State.ToString().ToLowerInvariant(),
                p.Attempt < 0 ? null : p.Attempt,
                p.Endpoint?.ToString(),
                directory.GetLastSeen(p.Partition),
                p.LastError,
                p.Node)
            {
                Replicas = [.. p.Replicas.Select(static r => new ReplicaStatus(r.Replica, r.State.ToString().ToLowerInvariant(), r.Attempt < 0 ? null : r.Attempt, r.Endpoint?.ToString(), r.LastError, r.Node, r.Version)
                {
                    Labels = r.Labels.Count == 0 ? null : r.Labels,
                    Suspected = r.Suspected,
                })],
            })]);
    }
}
