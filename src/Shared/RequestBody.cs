using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Partitioned.Shared;

/// <summary>Reads a whole request body up to a limit, into a pooled buffer the caller returns with <see cref="Return"/>.</summary>
internal readonly struct RequestBody
{
    /// <summary>The limit of bodies exchanged between serving nodes (batches of requests or answers).</summary>
    public const long InternalLimit = 64L * 1024 * 1024;

    /// <summary>The largest limit a service or front may set (bodies are read into one array).</summary>
    public const long MaxLimit = 1024L * 1024 * 1024;

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

    public ReadOnlyMemory<byte> Memory => Buffer is null ? default : Buffer.AsMemory(0, Length);

    public static async ValueTask<RequestBody> ReadAsync(HttpRequest request, long limit, CancellationToken cancellationToken)
    {
        if (request.ContentLength > limit)
        {
            return new RequestBody(null, 0, tooLarge: true);
        }

        // Kestrel's own cap (30 MB by default) must follow ours: it would refuse larger bodies that we allow.
        // Kestrel now enforces our limit while it reads, so a chunked body that grows past it is stopped there.
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } cap)
        {
            cap.MaxRequestBodySize = limit;
        }

        var reader = request.BodyReader;
        while (true)
        {
            ReadResult result;
            try
            {
                result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
            {
                // The caller answers with its own, more telling 413.
                return new RequestBody(null, 0, tooLarge: true);
            }

            var buffer = result.Buffer;
            if (buffer.Length > limit)
            {
                reader.AdvanceTo(buffer.End);
                return new RequestBody(null, 0, tooLarge: true);
            }

            // Only the end of the body completes it. A cancelled read is not an end: Kestrel cancels pending body
            // reads when it begins a graceful shutdown, and the rest of the body is still coming.
            if (result.IsCompleted)
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
