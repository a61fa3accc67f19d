namespace Partitioned.Serving;

/// <summary>A request held by the head node: its body, the connection waiting for its answer, and which attempt holds it now.</summary>
internal sealed class HeadNodeRequest(string id, string service, byte[] body, long arrived, string? traceParent = null)
{
    public const int Waiting = 0;
    public const int Held = 1;
    public const int Done = 2;

    private readonly TaskCompletionSource<WireReply> _reply = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string Id { get; } = id;

    public string Service { get; } = service;

    public byte[] Body { get; } = body;

    public long Arrived { get; } = arrived;

    /// <summary>The trace the request arrived in, handed on to the partition that pulls it.</summary>
    public string? TraceParent { get; } = traceParent;

    public Task<WireReply> Reply => _reply.Task;

    public LinkedListNode<HeadNodeRequest>? Node { get; set; }

    /// <summary>Waiting, Held or Done; changed under the lock of <see cref="PendingRequests"/>.</summary>
    public int State { get; set; }

    public int HeldByPartition { get; set; } = -1;

    public int HeldByAttempt { get; set; } = -1;

    public bool TryComplete(WireReply reply) => _reply.TrySetResult(reply);
}
