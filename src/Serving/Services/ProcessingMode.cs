namespace Partitioned.Serving;

/// <summary>How a partition feeds queued requests to a service's handler.</summary>
public enum ProcessingMode
{
    /// <summary>Each request is handled as soon as a handler slot is free (a batch of one); lowest latency.</summary>
    Continuous,

    /// <summary>Requests are gathered into batches of up to <see cref="ServiceOptions.MaxBatchSize"/>, waiting at most
    /// <see cref="ServiceOptions.MaxBatchDelay"/> after the first one (an epoch); best for vectorised handlers.</summary>
    MicroBatch,
}
