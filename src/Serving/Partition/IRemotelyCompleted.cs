namespace Partitioned.Serving;

/// <summary>A request held here whose answer will come back from the partition it was forwarded to.</summary>
internal interface IRemotelyCompleted
{
    bool TryCompleteRemote(int status, ReadOnlyMemory<byte> body);
}
