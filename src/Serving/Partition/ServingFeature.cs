using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Partitioned.Routing;
using Partitioned.Server;
using Partitioned.Shared;

namespace Partitioned.Serving;

/// <summary>
/// The serving layer on one partition attempt: its services, the <c>/serve/{name}</c> route, the token-protected
/// routes other nodes use (<c>/control/serving/...</c>), the reply router, the forwarding router and, when a
/// head node runs, the link to it.
/// </summary>
internal sealed partial class ServingFeature : IPartitionFeature
{
    private readonly Dictionary<string, IServiceHost> _services = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, IRemotelyCompleted> _awaitingRemote = new(StringComparer.Ordinal);
    private PartitionContext? _context;
    private HttpClient? _control;
    private HttpClient? _coordinator;
    private ReplyRouter? _replies;
    private Task _headNode = Task.CompletedTask;
    private string _idPrefix = string.Empty;
    private long _nextId;

    public PartitionContext Context => _context ?? throw new InvalidOperationException("The serving feature has not started.");

    public TimeProvider Time => Context.TimeProvider;

    public ReplyRouter Replies => _replies ?? throw new InvalidOperationException("The serving feature has not started.");

    public PartitionRouter Router { get; private set; } = null!;

    /// <summary>Where other nodes send answers of requests this partition forwarded away.</summary>
    public Uri RepliesAddress => new(Context.Endpoint ?? throw new InvalidOperationException("The partition is not listening yet."), "control/serving/replies");

    public void Add(IServiceHost service)
    {
        if (_services.ContainsKey(service.Name))
        {
            throw new InvalidOperationException($"A service named '{service.Name}' is already defined on this partition server; service names must be unique.");
        }

        // The gateway relays only names a replica announces, and the announcement is one label: it must hold them all.
        var announced = AnnouncedServices.Format(_services.Keys.Append(service.Name));
        if (announced.Length > PartitionLabels.MaxValueLength)
        {
            throw new InvalidOperationException(
                $"Service '{service.Name}' does not fit: a partition server announces its services' names in one registration label of at most {PartitionLabels.MaxValueLength} characters, and with it they would take {announced.Length}. Define fewer services per partition server, or give them shorter names.");
        }

        _services.Add(service.Name, service);
    }

    public string NextRequestId() => string.Concat(_idPrefix, Interlocked.Increment(ref _nextId).ToString(System.Globalization.CultureInfo.InvariantCulture));

    public void AwaitRemoteReply(string id, IRemotelyCompleted request) => _awaitingRemote[id] = request;

    public void ForgetRemoteReply(string id) => _awaitingRemote.TryRemove(id, out _);

    public Task StartAsync(PartitionContext context, CancellationToken cancellationToken)
    {
        _context = context;
        _idPrefix = $"{context.Partition}.{context.Attempt}.";
        _control = new HttpClient(context.CreateHttpHandler()) { Timeout = TimeSpan.FromSeconds(30) };
        _control.DefaultRequestHeaders.Authorization = context.ControlAuthorization;

        // Answers this attempt posts say who sends them: the head node hears an answer only from the attempt holding its request.
        _control.DefaultRequestHeaders.TryAddWithoutValidation(ServingWire.AttemptHeader, new ReplyFrom(context.Partition, context.Attempt).ToString());
        _coordinator = context.CreateCoordinatorClient();
        _coordinator.Timeout = TimeSpan.FromSeconds(60);
        _replies = new ReplyRouter(_control, context.LoggerFactory.CreateLogger<ReplyRouter>());
        Router = new PartitionRouter(_control, _coordinator);
        foreach (var service in _services.Values)
        {
            service.Start(this);
        }

        // Every service, so the gateway can refuse a name no replica serves before it relays or counts anything.
        context.Labels[AnnouncedServices.Label] = AnnouncedServices.Format(_services.Keys);
        var idempotent = string.Join(',', _services.Values.Where(static s => s.Options.Idempotent).Select(static s => s.Name).Order(StringComparer.Ordinal));
        if (idempotent.Length > PartitionLabels.MaxValueLength)
        {
            // Too many to announce: the gateway still learns each from its answers' header.
            Log.IdempotentLabelTooLong(context.Logger, idempotent.Length, PartitionLabels.MaxValueLength);
        }
        else if (idempotent.Length > 0)
        {
            context.Labels[ResendRules.IdempotentLabel] = idempotent;
        }

        var headNode = new HeadNodeLink(this, _coordinator, context.LoggerFactory);
        _headNode = Task.Run(() => headNode.RunAsync(_services, context.Stopping), CancellationToken.None);
        return Task.CompletedTask;
    }

    public void ConfigureServices(IServiceCollection services)
    {
    }

    public void MapEndpoints(IEndpointRouteBuilder endpoints, IEndpointRouteBuilder control)
    {
        endpoints.MapPost("/serve/{name}", ServeAsync);

        // Delegate (not RequestDelegate) handlers, so the control group's token filter runs on them.
        control.MapPost("/serving/{name}/forward", (Delegate)ForwardedAsync);
        control.MapPost("/serving/replies", (Delegate)RepliesAsync);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // Stopping already fired: nothing more comes from the head node. Finish what was accepted, then send the last answers.
        await _headNode.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        try
        {
            await Task.WhenAll(_services.Values.Select(service => service.StopAsync(cancellationToken))).ConfigureAwait(false);
        }
        finally
        {
            if (_replies is not null)
            {
                await _replies.DisposeAsync().ConfigureAwait(false);
            }

            _control?.Dispose();
            _coordinator?.Dispose();
        }
    }

    private Task ServeAsync(HttpContext context)
    {
        var name = (string)context.Request.RouteValues["name"]!;
        return !SafeName.IsValid(name) ? ProblemResponse.NotAServiceNameAsync(context.Response, name)
            : _services.TryGetValue(name, out var service) ? service.ServeAsync(context)
            : UnknownServiceAsync(context.Response, name);
    }

    private Task ForwardedAsync(HttpContext context)
    {
        var name = (string)context.Request.RouteValues["name"]!;
        return !SafeName.IsValid(name) ? ProblemResponse.NotAServiceNameAsync(context.Response, name)
            : _services.TryGetValue(name, out var service) ? service.AcceptForwardedAsync(context)
            : UnknownServiceAsync(context.Response, name);
    }

    private Task RepliesAsync(HttpContext context) => RepliesRoute.HandleAsync(context, CompleteRemoteReplies);

    /// <summary>Answers from partitions this one forwarded requests to, for the connections still waiting here.</summary>
    private void CompleteRemoteReplies(List<WireReply> replies)
    {
        foreach (var reply in replies)
        {
            if (_awaitingRemote.TryRemove(reply.Id, out var request))
            {
                request.TryCompleteRemote(reply.Status, reply.Body);
            }
        }
    }

    private Task UnknownServiceAsync(HttpResponse response, string name)
    {
        var known = _services.Count == 0 ? "none" : string.Join(", ", _services.Keys.Order(StringComparer.Ordinal));
        return ProblemResponse.WriteAsync(response, StatusCodes.Status404NotFound, "Unknown service", $"No service named '{name}' on this partition. Services: {known}.");
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 470, Level = LogLevel.Warning, Message = "The idempotent services' names take {Length} characters, more than a label holds ({Limit}): they are not announced at registration, so the gateway learns each from its first answer.")]
        public static partial void IdempotentLabelTooLong(ILogger logger, int length, int limit);
    }
}
