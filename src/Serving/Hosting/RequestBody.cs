using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Http;

namespace Partitioned.Serving;

/// <summary>Reads a whole request body up to a limit, into a pooled buffer the caller returns with <see cref="Return"/>.</summary>
internal readonly struct RequestBody
{
    private RequestBody(byte[]? buffer, int length, bool tooLarge)
    {
        Buffer = buffer;
        Length = length;
        TooLarge = tooLarge;
    }

    public byte[]? Buffer { get; }

    public int Length { get; }

    /// <summary>The body was larger than the limit (by its Content-Length or by what arrived).</summary>
    public bool TooLarge { get; }

    public ReadOnlySpan<byte> Span => Buffer is null ? default : Buffer.AsSpan(0, Length);

    public static async ValueTask<RequestBody> ReadAsync(HttpRequest request, long limit, CancellationToken cancellationToken)
    {
        if (request.ContentLength > limit)
        {
            return new RequestBody(null, 0, tooLarge: true);
        }

        var reader = request.BodyReader;
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            if (buffer.Length > limit)
            {
                reader.AdvanceTo(buffer.End);
                return new RequestBody(null, 0, tooLarge: true);
            }

            if (result.IsCompleted || result.IsCanceled)
            {
                var length = (int)buffer.Length;
                var copy = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
                buffer.CopyTo(copy);
                reader.AdvanceTo(buffer.End);
                return new RequestBody(copy, length, tooLarge: false);
            }

            // Not everything is here yet: consume nothing, ask for more.
            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    public void Return()
    {
        if (Buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(Buffer);
        }
    }
}
