namespace Partitioned.Serving;

/// <summary>
/// One reply, in whichever form it arrived: a typed value from this partition's handler, raw JSON relayed
/// from another partition, or an error (status, title, detail).
/// </summary>
internal readonly record struct ReplyOutcome<TReply>(int Status, TReply? Value, ReadOnlyMemory<byte> RawJson, string? Title, string? Detail)
{
    public static ReplyOutcome<TReply> Ok(TReply value) => new(200, value, default, null, null);

    public static ReplyOutcome<TReply> Raw(int status, ReadOnlyMemory<byte> json) => new(status, default, json, null, null);

    public static ReplyOutcome<TReply> Error(int status, string title, string detail) => new(status, default, default, title, detail);

    public bool IsError => Title is not null;
}
