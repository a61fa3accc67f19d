using System.Text.Json;
using Partitioned.Protocol;
using Partitioned.Shared;

namespace Partitioned.Serving;

/// <summary>How one service queues, batches, times out and parses. Checked when the service is defined.</summary>
public sealed record ServiceOptions
{
    private static readonly TimeSpan s_defaultMaxBatchDelay = TimeSpan.FromMilliseconds(5);

    // Null until set, so that validation can tell a window chosen by the caller from the default one (see LatencyTarget).
    private readonly TimeSpan? _maxBatchDelay;

    /// <summary>Continuous (default) or micro-batch processing.</summary>
    public ProcessingMode Mode { get; init; } = ProcessingMode.Continuous;

    /// <summary>Requests waiting per partition beyond those being handled; a full queue answers 503 with Retry-After. Default 1024.</summary>
    public int QueueCapacity { get; init; } = 1024;

    /// <summary>How long a request may wait for its reply before it is answered 504 (and its queue slot freed). Default 10 s.</summary>
    public TimeSpan Deadline { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Handler invocations running at once per partition. Default: 2 per core in continuous mode, 1 in micro-batch mode.</summary>
    public int? Concurrency { get; init; }

    /// <summary>Micro-batch: the most requests in one batch. Default 64.</summary>
    public int MaxBatchSize { get; init; } = 64;

    /// <summary>Micro-batch: how long a batch waits for more requests after its first (a fixed window). Default 5 ms. Not with <see cref="LatencyTarget"/>.</summary>
    public TimeSpan MaxBatchDelay
    {
        get => _maxBatchDelay ?? s_defaultMaxBatchDelay;
        init => _maxBatchDelay = value;
    }

    /// <summary>
    /// Micro-batch: the longest a request should take from arrival to answer; null (default) keeps the fixed
    /// <see cref="MaxBatchDelay"/> window. When set, each batch's window is sized from the batch cost the partition
    /// observes (fitted online as a + b x batch size): a request goes at once when the next one is not expected soon
    /// enough to pay for waiting, a batch keeps gathering while the handler is busy, and it never waits so long that its
    /// most urgent request would miss the target, given the predicted time of the batch. The queue is then served earliest
    /// deadline first. Must be shorter than <see cref="Deadline"/>; replaces <see cref="MaxBatchDelay"/> (set one of the two).
    /// </summary>
    public TimeSpan? LatencyTarget { get; init; }

    /// <summary>The largest request body accepted; a larger one is answered 413. Default 1 MiB.</summary>
    public long MaxRequestBodySize { get; init; } = 1024 * 1024;

    /// <summary>
    /// True when handling a request twice does no harm (a lookup, a prediction, a search). Then the gateway and the
    /// client-side balancer send a request whose partition replica died before answering once more to another replica
    /// (within the gateway's deadline), so a replica that dies under load fails no request. False (default): such a
    /// request is answered 502, because it may or may not have been processed. Partitions mark the answers of an
    /// idempotent service with the <c>Partitioned-Idempotent: true</c> header, which is how the gateway learns it.
    /// </summary>
    public bool Idempotent { get; init; }

    /// <summary>How request and reply bodies are read and written. Default: camelCase names (matched case-insensitively),
    /// and strict reading: a missing required property, a null where the type allows none, a wrong type (a number sent
    /// as a string included), a property the type does not have or one given twice is a 400, never a silent default.</summary>
    public JsonSerializerOptions? Json { get; init; }

    internal int EffectiveConcurrency => Concurrency ?? (Mode == ProcessingMode.Continuous ? Environment.ProcessorCount * 2 : 1);

    internal JsonSerializerOptions EffectiveJson => Json ?? ProtocolJson.RequestOptions;

    internal IReadOnlyList<string> Validate()
    {
        var validation = new OptionsValidation(nameof(ServiceOptions));
        validation.Require(QueueCapacity >= 1, $"{nameof(QueueCapacity)} must be at least 1 (was {QueueCapacity}).");
        validation.Require(Deadline > TimeSpan.Zero, $"{nameof(Deadline)} must be positive (was {Deadline}).");
        validation.Require(Concurrency is null or >= 1, $"{nameof(Concurrency)} must be at least 1 (was {Concurrency}).");
        validation.Require(MaxBatchSize >= 1, $"{nameof(MaxBatchSize)} must be at least 1 (was {MaxBatchSize}).");
        validation.Require(MaxBatchDelay >= TimeSpan.Zero, $"{nameof(MaxBatchDelay)} must not be negative (was {MaxBatchDelay}).");
        if (LatencyTarget is { } target)
        {
            validation.Require(target > TimeSpan.Zero, $"{nameof(LatencyTarget)} must be positive (was {target}); leave it null for the fixed {nameof(MaxBatchDelay)} window.");
            validation.Require(target < Deadline, $"{nameof(LatencyTarget)} ({target.TotalMilliseconds:0.###} ms) must be shorter than {nameof(Deadline)} ({Deadline.TotalMilliseconds:0.###} ms): a request still waiting at its deadline is answered 504.");
            validation.Require(Mode == ProcessingMode.MicroBatch, $"{nameof(LatencyTarget)} sizes micro-batch windows: set {nameof(Mode)} = {nameof(ProcessingMode)}.{nameof(ProcessingMode.MicroBatch)}, or remove {nameof(LatencyTarget)} (a continuous service handles each request as soon as a slot is free).");
            validation.Require(_maxBatchDelay is null, $"Set {nameof(LatencyTarget)} or {nameof(MaxBatchDelay)}, not both: {nameof(MaxBatchDelay)} fixes the window ({MaxBatchDelay.TotalMilliseconds:0.###} ms given), {nameof(LatencyTarget)} sizes it from the observed batch cost.");
        }

        validation.Require(MaxRequestBodySize is >= 1 and <= RequestBody.MaxLimit, $"{nameof(MaxRequestBodySize)} must be between 1 byte and 1 GiB (was {MaxRequestBodySize}).");
        return validation.Failures;
    }
}
