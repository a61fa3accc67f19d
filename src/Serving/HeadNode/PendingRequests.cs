using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Partitioned.Coordination;
using Partitioned.Directories;
using Partitioned.Shared;

namespace Partitioned.Serving;

/// <summary>
/// Every request the head node accepted and has not answered yet: waiting in its service's queue, or held by the
/// partition attempt it was handed to. The one place that decides who may take work and whose answer counts (by
/// <see cref="StandingRules"/>), puts back what a dead attempt held (replay), answers 504 at the deadline, and hands
/// each request exactly one answer. All of it under one lock, so a loss declared while a transport takes work either
/// makes it take nothing or replays what it took.
/// </summary>
internal sealed partial class PendingRequests
{
    private static readonly TimeSpan s_sweepInterval = TimeSpan.FromMilliseconds(50);

    private readonly ServingOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, HeadNodeQueue> _queues;
    private readonly Dictionary<string, HeadNodeRequest> _pending = new(StringComparer.Ordinal);
    private PartitionDirectory? _directory;

    public PendingRequests(ServingOptions options, TimeProvider time, ILogger logger)
    {
        _options = options;
        _time = time;
        _logger = logger;
        _queues = options.Services.ToDictionary(static s => s, s => new HeadNodeQueue(options.QueueCapacity), StringComparer.Ordinal);
    }

    /// <summary>The services the head node takes requests for.</summary>
    public IReadOnlyCollection<string> Services => _queues.Keys;

    /// <summary>How many requests wait or are held.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _pending.Count;
            }
        }
    }

    public bool Takes(string service) => _queues.ContainsKey(service);

    /// <summary>The directory whose word decides whose answers are heard (until set, every answer is: first answer wins).</summary>
    public void Attach(PartitionDirectory directory) => _directory = directory;

    /// <summary>How many requests a partition holds unanswered now (for tests and diagnostics).</summary>
    public int CountHeld(int partition)
    {
        lock (_gate)
        {
            return _pending.Values.Count(r => r.State == HeadNodeRequest.Held && r.HeldByPartition == partition);
        }
    }

    /// <summary>How many requests for <paramref name="service"/> wait for a partition to take them (for tests and diagnostics).</summary>
    public int CountWaiting(string service)
    {
        lock (_gate)
        {
            return _queues[service].Count;
        }
    }

    /// <summary>Queues a client's request at the back of its service's queue; false when the queue is full.</summary>
    public bool TryAdd(HeadNodeRequest request)
    {
        lock (_gate)
        {
            if (!_queues[request.Service].TryEnqueue(request))
            {
                return false;
            }

            _pending.Add(request.Id, request);
        }

        ServingMetrics.QueuedRequests.Add(1, ServingMetrics.Service(request.Service));
        return true;
    }

    /// <summary>The client's wait ended (deadline or gone): take the request out of the queue and the pending set. False if an answer won the race.</summary>
    public bool Abandon(HeadNodeRequest request)
    {
        lock (_gate)
        {
            if (request.State == HeadNodeRequest.Done || request.Reply.IsCompleted)
            {
                return false;
            }

            Retire(request);
            return true;
        }
    }

    /// <summary>
    /// A long poll: hands attempt <paramref name="attempt"/> of <paramref name="partition"/> up to <paramref name="max"/>
    /// waiting requests if it stands well (none otherwise), and the arrival to wait for when there were none.
    /// </summary>
    public (AttemptStanding Standing, List<HeadNodeRequest> Taken, Task Arrival) TakeForPull(string service, PartitionDirectory directory, int partition, int attempt, int max)
    {
        var queue = _queues[service];
        List<HeadNodeRequest> taken;
        AttemptStanding standing;
        Task arrival;
        lock (_gate)
        {
            // Checked under the lock that replays take too: a loss declared after this check replays whatever this
            // pull takes, and one declared before it makes this pull take nothing.
            standing = StandingRules.Of(directory.Current, partition, attempt);
            taken = standing != AttemptStanding.Current ? [] : queue.Take(max);
            Hold(taken, partition, attempt);
            arrival = queue.Arrival;
        }

        CountTaken(service, taken);
        return (standing, taken, arrival);
    }

    /// <summary>
    /// A stream's writer: hands it up to its credit of waiting requests if its attempt stands well. One that stands well
    /// and finds nothing parks in the queue until a request arrives; one that does not is benched (it passes every wake on).
    /// </summary>
    public (AttemptStanding Standing, List<HeadNodeRequest> Taken) TakeForStream(string service, PartitionDirectory directory, PartitionStream stream, int credit)
    {
        var queue = _queues[service];
        List<HeadNodeRequest> taken = [];
        AttemptStanding standing;
        lock (_gate)
        {
            // Under the lock replays take too, as for a pull. Judged per replica: a sibling's newer attempt does not
            // make this one stale.
            standing = StandingRules.Of(directory.Current, stream.Partition, stream.Attempt);
            var stale = standing != AttemptStanding.Current;
            stream.Benched = stale;
            if (!stale && credit > 0)
            {
                taken = queue.Take(credit);
                Hold(taken, stream.Partition, stream.Attempt);
            }

            if (!stale && taken.Count == 0 && credit > 0)
            {
                // Idle with room: wait for an arrival in line with the other idle streams, not all woken at once.
                stream.Park(queue);
            }

            if (stale && queue.Count > 0)
            {
                // It may have taken a wake (parked while it stood well) meant for a stream that can take the request:
                // pass it on. Benched, it passes on every later wake at once.
                queue.WakeParked();
            }
        }

        CountTaken(service, taken);
        return (standing, taken);
    }

    /// <summary>A stream ended: a wake it took as it closed must not strand a waiting request, so it is passed on.</summary>
    public void CloseStream(string service, PartitionStream stream)
    {
        var queue = _queues[service];
        lock (_gate)
        {
            stream.Close();
            if (queue.Count > 0)
            {
                queue.WakeParked();
            }
        }
    }

    /// <summary>The partition went away before it got the batch: nobody holds these requests, so they wait again at the front.</summary>
    public void ReturnUndelivered(List<HeadNodeRequest> requests, int partition, int attempt)
    {
        Log.DeliveryFailed(_logger, partition, attempt, requests.Count);
        lock (_gate)
        {
            foreach (var request in requests)
            {
                if (request.State == HeadNodeRequest.Held)
                {
                    PutBack(request);
                }
            }
        }
    }

    /// <summary>
    /// Hands answers to the connections waiting for them; the first answer to a request wins. An answer counts from the
    /// attempt holding the request, or from any attempt in good standing (a partition a request was forwarded to
    /// answers it too); never from an attempt declared lost or fenced: one whose requests were replayed and that came
    /// back (a node cut off, then healed) has its late answers counted and ignored, as is any second answer. A peer that
    /// does not say who it is (no <c>Partitioned-Attempt</c> header) is heard as before: first answer wins.
    /// </summary>
    public void Complete(List<WireReply> replies, ReplyFrom? from)
    {
        var snapshot = _directory?.Current;
        var heard = from is not { } sender || snapshot is null || (uint)sender.Partition >= (uint)snapshot.PartitionCount
            || StandingRules.Of(snapshot, sender.Partition, sender.Attempt) is AttemptStanding.Current or AttemptStanding.Suspected;
        foreach (var reply in replies)
        {
            HeadNodeRequest? request;
            lock (_gate)
            {
                if (_pending.TryGetValue(reply.Id, out request)
                    && (heard || (request.State == HeadNodeRequest.Held && request.HeldByPartition == from!.Value.Partition && request.HeldByAttempt == from.Value.Attempt)))
                {
                    Retire(request);
                }
                else
                {
                    request = null;
                }
            }

            if (request is null || !request.TryComplete(reply))
            {
                ServingMetrics.DuplicateReplies.Add(1, ServingMetrics.Service(request?.Service ?? "unknown"));
                Log.Duplicate(_logger, reply.Id, from?.Partition ?? -1, from?.Attempt ?? -1);
            }
        }
    }

    /// <summary>A directory change: replays what it sends back to the queue (<see cref="StandingRules.ShouldReplay"/>).</summary>
    public void OnPartitionChanged(PartitionChange change)
    {
        if (StandingRules.ShouldReplay(change, out var upToAttempt, out var which))
        {
            Replay(change.Partition, upToAttempt, which);
        }
    }

    /// <summary>An attempt ended (its server stopped or died): whatever it still holds will never be answered by it.</summary>
    public void OnAttemptEnded(int partition, int attempt) => Replay(partition, attempt, request => request.HeldByAttempt == attempt);

    /// <summary>Answers 504 to every request whose deadline passed (waiting or held), freeing its queue slot, until cancelled.</summary>
    public async Task SweepAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(s_sweepInterval, _time);
        var expired = new List<HeadNodeRequest>();
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
        {
            var oldest = _time.GetTimestamp() - (long)(_options.Deadline.TotalSeconds * _time.TimestampFrequency);
            lock (_gate)
            {
                foreach (var request in _pending.Values)
                {
                    if (request.Arrived <= oldest)
                    {
                        expired.Add(request);
                    }
                }

                foreach (var request in expired)
                {
                    Retire(request);
                }
            }

            foreach (var request in expired)
            {
                request.TryComplete(new WireReply(request.Id, StatusCodes.Status504GatewayTimeout, ProblemResponse.ToJson(
                    StatusCodes.Status504GatewayTimeout,
                    "Deadline passed",
                    $"No partition answered request {request.Id} within the head node's deadline of {_options.Deadline.TotalSeconds:0.###} s.",
                    request.Id)));
            }

            expired.Clear();
        }
    }

    // Puts back what attempts up to <upToAttempt> of <partition> hold, when <which> says so. Called outside the lock.
    private void Replay(int partition, int upToAttempt, Func<HeadNodeRequest, bool> which)
    {
        var replayed = 0;
        lock (_gate)
        {
            foreach (var request in _pending.Values)
            {
                if (request.State == HeadNodeRequest.Held && request.HeldByPartition == partition && request.HeldByAttempt <= upToAttempt && which(request))
                {
                    PutBack(request);
                    replayed++;
                    ServingMetrics.Replays.Add(1, ServingMetrics.Service(request.Service));
                }
            }
        }

        if (replayed > 0)
        {
            Log.Replayed(_logger, replayed, partition, upToAttempt);
        }
    }

    /// <summary>The requests are held by the attempt that took them. The caller holds <c>_gate</c>.</summary>
    private static void Hold(List<HeadNodeRequest> taken, int partition, int attempt)
    {
        foreach (var request in taken)
        {
            request.State = HeadNodeRequest.Held;
            request.HeldByPartition = partition;
            request.HeldByAttempt = attempt;
        }
    }

    private static void CountTaken(string service, List<HeadNodeRequest> taken)
    {
        if (taken.Count > 0)
        {
            ServingMetrics.QueuedRequests.Add(-taken.Count, ServingMetrics.Service(service));
        }
    }

    /// <summary>A held request waits again, at the front of its queue. The caller holds <c>_gate</c>.</summary>
    private void PutBack(HeadNodeRequest request)
    {
        request.State = HeadNodeRequest.Waiting;
        request.HeldByPartition = request.HeldByAttempt = -1;
        _queues[request.Service].Requeue(request);
        ServingMetrics.QueuedRequests.Add(1, ServingMetrics.Service(request.Service));
    }

    /// <summary>Takes a request out of its queue (if it waits there) and the pending set, for good. The caller holds <c>_gate</c>.</summary>
    private void Retire(HeadNodeRequest request)
    {
        if (request.State == HeadNodeRequest.Waiting)
        {
            _queues[request.Service].Remove(request);
            ServingMetrics.QueuedRequests.Add(-1, ServingMetrics.Service(request.Service));
        }

        request.State = HeadNodeRequest.Done;
        _pending.Remove(request.Id);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 440, Level = LogLevel.Warning, Message = "Head node: replaying {Count} unanswered requests held by partition {Partition} (attempts up to {Attempt}).")]
        public static partial void Replayed(ILogger logger, int count, int partition, int attempt);

        [LoggerMessage(EventId = 441, Level = LogLevel.Debug, Message = "Head node: late, duplicate or fenced answer for request {RequestId} (from partition {Partition} attempt {Attempt}; -1: unnamed) ignored.")]
        public static partial void Duplicate(ILogger logger, string requestId, int partition, int attempt);

        [LoggerMessage(EventId = 442, Level = LogLevel.Debug, Message = "Head node: partition {Partition} attempt {Attempt} went away before its batch was delivered (a pull or a stream); {Count} requests go back to the queue.")]
        public static partial void DeliveryFailed(ILogger logger, int partition, int attempt, int count);
    }
}
