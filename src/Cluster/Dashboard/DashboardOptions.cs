using System.Text;
using Partitioned.Shared;

namespace Partitioned.Clustering;

/// <summary>Who may see the dashboard. By default only this machine (loopback) may; with a key, whoever presents it.</summary>
public sealed record DashboardOptions
{
    /// <summary>
    /// A read-only dashboard key (at least 16 characters). Null (default): the dashboard answers loopback clients only,
    /// and refuses others with 403. Set: every client, loopback too, logs in with the key once (a form posts it; the
    /// browser then holds an HttpOnly cookie, never the key or the cluster token). The key gives no other right.
    /// Behind a reverse proxy every client looks like loopback: set a key there (without one, a request that carries
    /// forwarded headers is refused). <see cref="object.ToString"/> never shows the key.
    /// </summary>
    public string? AccessKey { get; init; }

    /// <summary>How many of the last attempt outcomes the page lists. Default 50.</summary>
    public int AttemptHistory { get; init; } = 50;

    // The record's ToString prints what this writes: the key is a secret, so only whether there is one.
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append(nameof(AccessKey)).Append(" = ").Append(AccessKey is null ? "null" : "(redacted)");
        builder.Append(", ").Append(nameof(AttemptHistory)).Append(" = ").Append(AttemptHistory);
        return true;
    }

    internal void Validate()
    {
        var validation = new OptionsValidation(nameof(DashboardOptions));
        validation.Require(AccessKey is null || AccessKey.Trim().Length >= 16, $"{nameof(AccessKey)} must be at least 16 characters, or null for loopback-only access.");
        validation.Require(AttemptHistory is >= 1 and <= 10_000, $"{nameof(AttemptHistory)} must be between 1 and 10000 (was {AttemptHistory}).");
        validation.ThrowIfInvalid();
    }
}
