using System.Text.Json.Serialization.Metadata;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Partitioned.Server;

namespace Partitioned.Serving;

/// <summary>
/// One service on one partition: parses requests (from HTTP, the head node, or another partition), queues them
/// in a bounded queue, feeds them to the handler (continuous or micro-batch), and sees that each gets exactly
/// one answer before its deadline.
/// </summary>
/// <remarks>
/// Queue capacity is counted, not enforced by the channel, so a request whose deadline passes while it waits
/// gives its slot back at once; the processor skips it when it comes up. In continuous mode a request that
/// finds a free handler slot and an empty queue runs on the thread that received it, with no hand-off.
/// </remarks>
internal sealed partial class ServiceHost<TRequest, TReply> : IServiceEndpoint, IServiceRuntime<TRequest, TReply>
{
    private readonly ServiceDefinition<TRequest, TReply> _definition;
    private readonly JsonTypeInfo<TRequest> _requestType;
    private readonly JsonTypeInfo<TReply> _replyType;
    private readonly Channel<ServiceRequest<TRequest, TReply>> _queue = Channel.CreateUnbounded<ServiceRequest<TRequest, TReply>>();
    private readonly KeyValuePair<string, object?> _serviceTag;
    private readonly CancellationTokenSource _abort = new();
    private readonly bool _continuous;
    private readonly int _concurrency;
    private ServingFeature _feature = null!;
    private ILogger _logger = null!;
    private TimeProvider _time = TimeProvider.System;
    private readonly ManualResetEventSlim _arrival = new(false);
    private Thread? _batchThread;
    private readonly Lock _roomGate = new();
    private TaskCompletionSource? _roomFreed;
    private int _queued;
    private int _running;

    // Requests inside this service's HTTP routes, some still uploading their body: a stop waits for them too.
    private int _inHttp;

    public ServiceHost(ServiceDefinition<TRequest, TReply> definition)
    {
        _definition = definition;
        var json = definition.Options.EffectiveJson;
        _requestType = (JsonTypeInfo<TRequest>)json.GetTypeInfo(typeof(TRequest));
        _replyType = (JsonTypeInfo<TReply>)json.GetTypeInfo(typeof(TReply));
        _serviceTag = ServingMetrics.Service(definition.Name);
        _continuous = definition.Options.Mode == ProcessingMode.Continuous;
        _concurrency = definition.Options.EffectiveConcurrency;
    }

    public string Name => _definition.Name;

    public ServiceOptions Options => _definition.Options;

    public int PullRoom
    {
        get
        {
            var inHand = _continuous ? 4 * _concurrency : Options.MaxBatchSize * (_concurrency + 1);
            var room = Math.Min(inHand - Volatile.Read(ref _queued) - Volatile.Read(ref _running), Options.QueueCapacity - Volatile.Read(ref _queued));
            return Math.Max(0, room);
        }
    }

    public async Task WaitForPullRoomAsync(CancellationToken cancellationToken)
    {
        TaskCompletionSource signal;
        lock (_roomGate)
        {
            signal = _roomFreed ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        // Checked after arming the signal: a slot released in between is not missed.
        if (PullRoom > 0)
        {
            return;
        }

        await signal.Task.WaitAsync(TimeSpan.FromMilliseconds(250), _time, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    public Task RoomFreed
    {
        get
        {
            lock (_roomGate)
            {
                return (_roomFreed ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
            }
        }
    }

    public IngressOutbox Outbox { get; private set; } = null!;

    public void Start(ServingFeature feature)
    {
        _feature = feature;
        Outbox = new IngressOutbox(feature.Replies);
        _logger = feature.Context.LoggerFactory.CreateLogger("Partitioned.Serving.Service");
        _time = feature.Time;
        if (!_continuous)
        {
            _batchThread = new Thread(BatchLoop) { IsBackground = true, Name = $"partitioned-batch-{Name}" };
            _batchThread.Start();
        }
    }

    /// <summary>
    /// Waits for requests in the service's routes, queued and running to finish (they were accepted, so they are
    /// answered), then stops the processors. When <paramref name="cancellationToken"/> fires first (the drain time is up), requests still
    /// waiting are answered 503 and running handlers are cancelled, so stopping never hangs on a stuck handler.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (Volatile.Read(ref _queued) > 0 || Volatile.Read(ref _running) > 0 || Volatile.Read(ref _inHttp) > 0)
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
                    StatusCodes.Status503ServiceUnavailable, "Partition stopping", $"Partition {_feature.Context.Partition} stopped before service '{Name}' got to request {request.Id}.")) ? 1 : 0;
            }

            Log.StopTimedOut(_logger, Name, refused, Volatile.Read(ref _running));
        }
        finally
        {
            Outbox.Close();
            _queue.Writer.TryComplete();

            // Not disposed: a handler still running may hold the token, and the event belongs to the batch thread.
            await _abort.CancelAsync().ConfigureAwait(false);
            _arrival.Set();
            _batchThread?.Join(TimeSpan.FromSeconds(5));
        }
    }

    void IServiceRuntime<TRequest, TReply>.CountReply(ServiceRequest<TRequest, TReply> request, int status) =>
        ServingMetrics.CountReply(Name, status, request.ArrivedTimestamp == 0 ? null : _time.GetElapsedTime(request.ArrivedTimestamp));

    void IServiceRuntime<TRequest, TReply>.CountDuplicate() => ServingMetrics.DuplicateReplies.Add(1, _serviceTag);

    private ServiceRequest<TRequest, TReply> NewRequest(string id, TRequest request, ReplySink<TReply> sink, long arrived, System.Diagnostics.ActivityContext parent)
    {
        ServingMetrics.Requests.Add(1, _serviceTag);
        return new ServiceRequest<TRequest, TReply>(id, request, sink, this, arrived, parent);
    }
}
