using System.Buffers;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Partitioned.Serving;

/// <summary>
/// Sends answers of requests that came from elsewhere back to their origin (the head node, or the partition
/// holding the connection). Answers queue up while a send is under way and go out together, one POST per origin.
/// </summary>
internal sealed partial class ReplyRouter : IReplyChannel, IAsyncDisposable
{
    private const int MaxBatch = 1024;

    // Well under the receiving route's limit (RequestBody.InternalLimit), so a batch is never refused for its size.
    private const long MaxBatchBytes = 8L * 1024 * 1024;

    private readonly Channel<(Uri Target, WireReply Reply)> _outbox = Channel.CreateUnbounded<(Uri, WireReply)>(new UnboundedChannelOptions { SingleReader = true });
    private readonly HttpClient _http;
    private readonly ILogger _logger;
    private readonly Task _sender;

    public ReplyRouter(HttpClient http, ILogger logger)
    {
        _http = http;
        _logger = logger;
        _sender = Task.Run(SendLoopAsync);
    }

    public void Send(Uri target, WireReply reply)
    {
        if (!_outbox.Writer.TryWrite((target, reply)))
        {
            Log.DroppedAfterStop(_logger, reply.Id, target);
        }
    }

    /// <summary>Sends what is queued, then stops.</summary>
    public async ValueTask DisposeAsync()
    {
        _outbox.Writer.TryComplete();
        await _sender.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private async Task SendLoopAsync()
    {
        var reader = _outbox.Reader;
        var groups = new Dictionary<Uri, List<WireReply>>();
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            var taken = 0;
            var bytes = 0L;
            while (taken < MaxBatch && bytes < MaxBatchBytes && reader.TryRead(out var item))
            {
                bytes += item.Reply.Body.Length + 64;
                if (!groups.TryGetValue(item.Target, out var list))
                {
                    groups[item.Target] = list = [];
                }

                list.Add(item.Reply);
                taken++;
            }

            await Task.WhenAll(groups.Select(group => PostAsync(group.Key, group.Value))).ConfigureAwait(false);
            groups.Clear();
        }
    }

    private async Task PostAsync(Uri target, List<WireReply> replies)
    {
        var buffer = new ArrayBufferWriter<byte>(256 * replies.Count);
        ServingWire.WriteReplies(buffer, replies);
        for (var attempt = 1; attempt <= 2; attempt++)
        {
            try
            {
                using var content = new ReadOnlyMemoryContent(buffer.WrittenMemory);
                content.Headers.ContentType = ServingWire.JsonContentType;
                using var response = await _http.PostAsync(target, content).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }

                Log.SendRefused(_logger, replies.Count, target, (int)response.StatusCode);
                return;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                // The origin is gone (its connections with it) or briefly unreachable: one more try, then give up.
                Log.SendFailed(_logger, replies.Count, target, attempt, ex.Message);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 410, Level = LogLevel.Warning, Message = "Could not send {Count} replies to {Target} (try {Attempt}): {Reason}")]
        public static partial void SendFailed(ILogger logger, int count, Uri target, int attempt, string reason);

        [LoggerMessage(EventId = 411, Level = LogLevel.Warning, Message = "{Target} refused {Count} replies with {Status}.")]
        public static partial void SendRefused(ILogger logger, int count, Uri target, int status);

        [LoggerMessage(EventId = 412, Level = LogLevel.Warning, Message = "Reply to request {RequestId} for {Target} dropped: the partition is stopping.")]
        public static partial void DroppedAfterStop(ILogger logger, string requestId, Uri target);
    }
}
