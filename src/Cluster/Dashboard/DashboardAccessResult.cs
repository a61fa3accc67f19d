namespace Partitioned.Clustering;

/// <summary>What a dashboard request may do.</summary>
internal enum DashboardAccessResult
{
    Allowed,
    LoginRequired,
    Refused,

    /// <summary>Loopback, but through a proxy (forwarded headers): the address proves nothing, so a key is needed.</summary>
    Proxied,
}
