namespace Partitioned.Clustering;

/// <summary>What a dashboard request may do.</summary>
internal enum DashboardAccessResult
{
    Allowed,
    LoginRequired,
    Refused,
}
