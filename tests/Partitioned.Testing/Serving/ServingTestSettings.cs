namespace Partitioned.Testing;

/// <summary>Knobs of <see cref="ServingTestServer"/>'s services. Travels as JSON to worker processes.</summary>
public sealed record ServingTestSettings
{
    /// <summary>Queue capacity of the "slow" service.</summary>
    public int SlowQueueCapacity { get; init; } = 1024;

    /// <summary>Handler slots of the "slow" service.</summary>
    public int SlowConcurrency { get; init; } = 4;

    /// <summary>Deadline of the "slow" service.</summary>
    public TimeSpan SlowDeadline { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Batch size of the "batch" service.</summary>
    public int BatchSize { get; init; } = 8;

    /// <summary>Batch delay of the "batch" service.</summary>
    public TimeSpan BatchDelay { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>The version the "version" services answer with (rolling-update tests roll out another).</summary>
    public string Version { get; init; } = "v1";

    /// <summary>How long the server takes to initialise (a new version that is slow to start).</summary>
    public TimeSpan InitDelay { get; init; }

    /// <summary>True: the server fails while it initialises (a broken new version).</summary>
    public bool FailInit { get; init; }

    /// <summary>
    /// Where the "work" services record every run of their handler (a <see cref="WorkLedger"/> the test serves, reachable
    /// from the nodes), or null to record in this process (<see cref="WorkLedger.Local"/>).
    /// </summary>
    public string? LedgerUrl { get; init; }

    /// <summary>Body limit of every service.</summary>
    public long MaxRequestBodySize { get; init; } = 64 * 1024;
}
