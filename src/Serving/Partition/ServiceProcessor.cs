using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Partitioned.Shared;

namespace Partitioned.Serving;

/// <summary>
/// One service on one partition, whatever way its requests came in: a bounded queue, handler slots, continuous or
/// micro-batch processing, deadlines, and a stop that drains what was accepted. The ways in (<see cref="HttpWayIn{TRequest, TReply}"/>,
/// <see cref="ForwardedWayIn{TRequest, TReply}"/>, <see cref="HeadNodeWayIn{TRequest, TReply}"/>) parse a request,
/// make it with <see cref="NewRequest"/> and hand it to <see cref="Admit"/> or <see cref="TryEnqueue"/>; each request's
/// reply sink carries the answer back the way it came.
/// </summary>
/// <remarks>
/// Queue capacity is counted, not enforced by the channel, so a request whose deadline passes while it waits
/// gives its slot back at once; the processor skips it when it comes up. In continuous mode a request that
/// finds a free handler slot and an empty queue runs on the thread that received it, with no hand-off.
/// </remarks>
internal sealed partial class ServiceProcessor<TRequest, TReply> : IServiceRuntime<TRequest, TReply>
{
    private readonly ServiceDefinition<TRequest, TReply> _definition;
    private readonly RequestQueue<TRequest, TReply> _queue;
    private readonly KeyValuePair<string, object?> _serviceTag;
    private readonly CancellationTokenSource _abort = new();
    private readonly bool _continuous;
    private readonly int _concurrency;
    private ServingFeature _feature = null!;
    private ILogger _logger = null!;
    private readonly HandlerSlots _slots;
    private HandlerCalls<TRequest, TReply> _handler = null!;
    private MicroBatchLoop<TRequest, TReply>? _batchLoop;
    private TimeProvider _time = TimeProvider.System;
    private int _queued;

    // Requests queued since the start: the batch loop's arrival rate is measured from it.
    private long _arrivals;

    // Requests inside this service's HTTP routes, some still uploading their body: a stop waits for them too.
    private int _inRoutes;

    public ServiceProcessor(ServiceDefinition<TRequest, TReply> definition)
    {
        _definition = definition;
        var json = definition.Options.EffectiveJson;
        RequestType = (JsonTypeInfo<TRequest>)json.GetTypeInfo(typeof(TRequest));
        ReplyType = (JsonTypeInfo<TReply>)json.GetTypeInfo(typeof(TReply));
        _serviceTag = ServingMetrics.Service(definition.Name);
        _continuous = definition.Options.Mode == ProcessingMode.Continuous;
        _concurrency = definition.Options.EffectiveConcurrency;
        _slots = new HandlerSlots(_concurrency);
        _queue = new RequestQueue<TRequest, TReply>(earliestDeadlineFirst: definition.Options.LatencyTarget is not null);
    }

    public string Name => _definition.Name;

    public ServiceOptions Options => _definition.Options;

    public JsonTypeInfo<TRequest> RequestType { get; }

    public JsonTypeInfo<TReply> ReplyType { get; }

    /// <summary>The serving feature of the partition attempt, once started.</summary>
    public ServingFeature Feature => _feature;

    /// <summary>The partition this service runs on, for the details of error answers.</summary>
    public int Partition => _feature.Context.Partition;

    public TimeProvider Time => _time;

    /// <summary>Where problems with single requests are logged (handler failures, requests a way in could not take).</summary>
    public ILogger Logger => _logger;

    public void Start(ServingFeature feature)
    {
        _feature = feature;
        _logger = feature.Context.LoggerFactory.CreateLogger("Partitioned.Serving.Service");
        _time = feature.Time;
        _handler = new HandlerCalls<TRequest, TReply>(_definition, feature.Context.Partition, _abort.Token, _logger, _serviceTag);
        if (!_continuous)
        {
            var window = Options.LatencyTarget is { } target ? new LatencyTargetWindow(target, _time) : null;
            _batchLoop = new MicroBatchLoop<TRequest, TReply>(this, _slots, _handler, window, _abort.Token);
            _batchLoop.Start();
        }
    }

    /// <summary>
    /// Waits for requests in the service's routes, queued and running to finish (they were accepted, so they are
    /// answered). When <paramref name="cancellationToken"/> fires first (the drain time is up), requests still
    /// waiting are answered 503, so stopping never hangs on a stuck handler; <see cref="HaltAsync"/> then cancels the running ones.
    /// </summary>
    public async Task WaitForIdleAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (Volatile.Read(ref _queued) > 0 || _slots.Running > 0 || Volatile.Read(ref _inRoutes) > 0)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(10), _time, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            var refused = 0;
            while (TryDequeueLive(out var request))
            {
                refused += request.TryCompleteIfPending(ReplyOutcome<TReply>.Error(
                    StatusCodes.Status503ServiceUnavailable, "Partition stopping", $"Partition {Partition} stopped before service '{Name}' got to request {request.Id}.")) ? 1 : 0;
            }

            Log.StopTimedOut(_logger, Name, refused, _slots.Running);
        }
    }

    /// <summary>Takes no more requests and stops the processors: a handler still running is told to give up.</summary>
    public async Task HaltAsync()
    {
        _queue.Complete();

        // Not disposed: a handler still running may hold the token.
        await _abort.CancelAsync().ConfigureAwait(false);
        _batchLoop?.Stop();
    }

    /// <summary>A request enters one of the service's routes: a stop waits until it left (<see cref="LeaveRouteWhenDoneAsync"/>).</summary>
    public void EnterRoute() => Interlocked.Increment(ref _inRoutes);

    public async Task LeaveRouteWhenDoneAsync(Task route)
    {
        try
        {
            await route.ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _inRoutes);
        }
    }

    public ServiceRequest<TRequest, TReply> NewRequest(string id, TRequest request, ReplySink<TReply> sink, long arrived, System.Diagnostics.ActivityContext parent)
    {
        ServingMetrics.Requests.Add(1, _serviceTag);
        return new ServiceRequest<TRequest, TReply>(id, request, sink, this, arrived, parent)
        {
            DeadlineTimestamp = arrived + (long)(Options.Deadline.TotalSeconds * _time.TimestampFrequency),
        };
    }

    /// <summary>The request body as a <typeparamref name="TRequest"/>, through the one reader of client JSON; the error names the problem.</summary>
    public bool TryParse(ReadOnlySpan<byte> json, out TRequest request, out string error)
    {
        if (JsonInput.TryRead(json, RequestType, out request!, out var problem))
        {
            error = string.Empty;
            return true;
        }

        error = problem.Describe("request body");
        return false;
    }

    /// <summary>The deadline passed or the client left: refuse later answers and give back a queue slot still held.</summary>
    public bool Expire(ServiceRequest<TRequest, TReply> request)
    {
        if (!request.TryExpire())
        {
            return false;
        }

        LeaveQueue(request);
        _feature.ForgetRemoteReply(request.Id);
        return true;
    }

    /// <summary>Forwards a request to the same service on another partition; the answer travels straight to where the request is held.</summary>
    public async Task ForwardAsync(ServiceRequest<TRequest, TReply> request, int partition, TRequest body, CancellationToken cancellationToken)
    {
        var origin = request.Sink.RemoteOrigin;
        var (replyTo, originId) = origin ?? (_feature.RepliesAddress, request.Id);
        if (!request.TryMarkForwarded())
        {
            throw new InvalidOperationException($"Request {request.Id} already has its answer; it cannot be forwarded.");
        }

        // Held here: remember it, so the answer relayed back finds its connection.
        if (origin is null)
        {
            _feature.AwaitRemoteReply(request.Id, request);
        }

        try
        {
            var forward = ServingWire.WriteForward(originId, replyTo, JsonSerializer.SerializeToUtf8Bytes(body, RequestType));
            await _feature.Router.ForwardAsync(partition, Name, forward, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            _feature.ForgetRemoteReply(request.Id);
            request.UndoForwarded();
            throw;
        }
    }

    void IServiceRuntime<TRequest, TReply>.CountReply(ServiceRequest<TRequest, TReply> request, int status) =>
        ServingMetrics.CountReply(Name, status, request.ArrivedTimestamp == 0 ? null : _time.GetElapsedTime(request.ArrivedTimestamp));

    void IServiceRuntime<TRequest, TReply>.CountDuplicate() => ServingMetrics.DuplicateReplies.Add(1, _serviceTag);
}
