using Microsoft.AspNetCore.Http;
using Partitioned.Coordination;
using Partitioned.Shared;

namespace Partitioned.Serving;

internal sealed partial class ServingGateway
{
    private const int ListedServices = 20;

    private readonly PartitionDirectory _directory;
    private readonly AnnouncedServices _announced = new(servingOnly: true);

    /// <summary>True when <paramref name="name"/> follows the name rule and a serving replica announces a service of that name.</summary>
    private bool IsAnnounced(string name) => SafeName.IsValid(name) && _announced.In(_directory.Current).Contains(name);

    /// <summary>404 for a name that breaks the rule or that no serving replica announces; 503 when no replica serves at all (then nothing is known).</summary>
    private Task RefuseUnknownAsync(HttpResponse response, string name)
    {
        if (!SafeName.IsValid(name))
        {
            return ProblemResponse.NotAServiceNameAsync(response, name);
        }

        var snapshot = _directory.Current;
        if (snapshot.ServingReplicaCount == 0)
        {
            return ProblemResponse.WriteAsync(response, StatusCodes.Status503ServiceUnavailable, "No partition is live",
                "Every partition is lost, failed, stopped or not yet registered; retry later.", retryAfter: TimeSpan.FromSeconds(1));
        }

        var known = _announced.In(snapshot).Order(StringComparer.Ordinal).ToList();
        var listed = known.Count == 0 ? "none"
            : known.Count <= ListedServices ? string.Join(", ", known)
            : $"{string.Join(", ", known.Take(ListedServices))} and {known.Count - ListedServices} more";
        return ProblemResponse.WriteAsync(response, StatusCodes.Status404NotFound, "Unknown service",
            $"No serving partition offers a service named '{name}'. Services: {listed}.");
    }
}
