using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Partitioned.Routing;

/// <summary>
/// The hedging of one router (<see cref="HedgingOptions"/>): when to hedge, and the budget, a token bucket counted in
/// thousandths of a hedge (each request adds <c>Budget</c>, a hedge takes one, at most a hundred are held). The bucket
/// starts empty, so hedges never exceed <c>Budget</c> times the requests; its capacity lets a burst of late answers
/// (a pause on the caller's machine makes every request in flight late at once) spend what calm periods saved, instead
/// of leaving the stall that follows unhedged.
/// </summary>
internal sealed class Hedger
{
    /// <summary>The meter routers publish on (hedges sent and won).</summary>
    public const string MeterName = "Partitioned.Routing";

    /// <summary>Answers observed before the 95th percentile is trusted as a hedge delay.</summary>
    public const int MinSamples = 16;

    private const long Unit = 1000;
    private const long Capacity = 100 * Unit;

    private static readonly Meter s_meter = new(MeterName);
    private static readonly Counter<long> s_hedges = s_meter.CreateCounter<long>("partitioned.routing.hedges", unit: "{request}", description: "Requests sent to a second replica because the first had not answered in time.");
    private static readonly Counter<long> s_won = s_meter.CreateCounter<long>("partitioned.routing.hedges.won", unit: "{request}", description: "Hedged requests the second replica answered first.");

    private readonly long _deposit;
    private readonly RoundTripEstimate[] _byPartition;
    private readonly RoundTripEstimate _anyPartition = new();
    private long _tokens;
    private long _requests;
    private long _sent;
    private long _won;
    private long _denied;

    public Hedger(HedgingOptions options, int partitions)
    {
        Options = options;
        _deposit = Math.Max(1, (long)Math.Round(options.Budget * Unit));
        _byPartition = [.. Enumerable.Range(0, partitions).Select(static _ => new RoundTripEstimate())];
    }

    public HedgingOptions Options { get; }

    /// <summary>Requests that could have been hedged.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Hedges sent.</summary>
    public long Sent => Interlocked.Read(ref _sent);

    /// <summary>Hedges that were due but refused by the budget.</summary>
    public long Denied => Interlocked.Read(ref _denied);

    /// <summary>Hedges whose answer came first.</summary>
    public long Won => Interlocked.Read(ref _won);

    /// <summary>Where a router without its own per-service estimate (a partition client) keeps answers of a partition.</summary>
    public RoundTripEstimate LatencyOf(int partition) => (uint)partition < (uint)_byPartition.Length ? _byPartition[partition] : _anyPartition;

    /// <summary>A request that may be hedged starts: it adds to the budget. Returns the delay before a hedge, or null for none.</summary>
    public TimeSpan? Admit(RoundTripEstimate latency)
    {
        Interlocked.Increment(ref _requests);
        long tokens;
        do
        {
            tokens = Interlocked.Read(ref _tokens);
        }
        while (tokens < Capacity && Interlocked.CompareExchange(ref _tokens, Math.Min(Capacity, tokens + _deposit), tokens) != tokens);

        return Options.Delay ?? latency.P95(MinSamples);
    }

    /// <summary>Takes a hedge from the budget; false when it is spent.</summary>
    public bool TryTake()
    {
        long tokens;
        do
        {
            tokens = Interlocked.Read(ref _tokens);
            if (tokens < Unit)
            {
                Interlocked.Increment(ref _denied);
                return false;
            }
        }
        while (Interlocked.CompareExchange(ref _tokens, tokens - Unit, tokens) != tokens);

        return true;
    }

    /// <summary>A hedge goes out: counted, and an event on the request's trace.</summary>
    public void Sending(in ReplicaTarget first, in ReplicaTarget hedge, TimeSpan delay)
    {
        Interlocked.Increment(ref _sent);
        s_hedges.Add(1);
        if (Activity.Current is { } activity)
        {
            activity.SetTag("partitioned.hedged", true);
            activity.AddEvent(new ActivityEvent("hedge", tags: new ActivityTagsCollection
            {
                ["partitioned.partition"] = hedge.Partition,
                ["partitioned.replica.first"] = first.Replica,
                ["partitioned.replica.hedge"] = hedge.Replica,
                ["partitioned.hedge.delay_ms"] = delay.TotalMilliseconds,
            }));
        }
    }

    /// <summary>The hedge answered first.</summary>
    public void HedgeWon()
    {
        Interlocked.Increment(ref _won);
        s_won.Add(1);
    }
}
