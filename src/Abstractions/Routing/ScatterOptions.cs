namespace Partitioned.Routing;

/// <summary>How a scatter-gather query runs.</summary>
public sealed record ScatterOptions
{
    /// <summary>How long each partition may take; a slower one counts as failed (with a <see cref="TimeoutException"/>). Default 30 s.</summary>
    public TimeSpan PerPartitionTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>When true, the call throws <see cref="ScatterFailedException"/> if any partition failed. Default false: failures are returned per partition.</summary>
    public bool RequireAll { get; init; }

    /// <summary>The partitions to query; default all of them.</summary>
    public IReadOnlyCollection<int>? Partitions { get; init; }
}
