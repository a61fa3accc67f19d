using System.Net;
using System.Net.Http.Headers;
using Partitioned.Protocol;
using Partitioned.Shared;

namespace Partitioned.Server;

/// <summary>An HTTP body that streams values as NDJSON, one per line.</summary>
internal sealed class NdjsonContent<T> : HttpContent
{
    private readonly IReadOnlyList<T> _values;

    public NdjsonContent(IReadOnlyList<T> values)
    {
        _values = values;
        Headers.ContentType = new MediaTypeHeaderValue(WorkerProtocol.NdjsonMediaType) { CharSet = "utf-8" };
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken) =>
        Ndjson.WriteAsync(stream, _values.ToAsyncEnumerable(), ProtocolJson.Options, cancellationToken);

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }
}
