using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Partitioned.Shared;

namespace Partitioned.Protocol;

/// <summary>
/// Newline-delimited JSON, the format of the worker protocol's row and result streams: one JSON value per line,
/// UTF-8, <c>\n</c> after every value (a <c>\r</c> before it is allowed), blank lines ignored when reading.
/// </summary>
internal static class Ndjson
{
    private const int FlushThreshold = 64 * 1024;

    /// <summary>Writes every value as one line, flushing to <paramref name="stream"/> in chunks of about 64 KB.</summary>
    /// <returns>How many values were written.</returns>
    public static async Task<int> WriteAsync<T>(Stream stream, IAsyncEnumerable<T> values, JsonSerializerOptions options, CancellationToken cancellationToken)
    {
        var buffer = new ArrayBufferWriter<byte>(FlushThreshold + 4096);
        using var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = options.Encoder, SkipValidation = true });
        var count = 0;
        await foreach (var value in values.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            JsonSerializer.Serialize(writer, value, options);
            writer.Flush();

            // Without a reset, the writer would put a comma before the next top-level value.
            writer.Reset();
            buffer.Write("\n"u8);
            count++;
            if (buffer.WrittenCount >= FlushThreshold)
            {
                await stream.WriteAsync(buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
                buffer.ResetWrittenCount();
            }
        }

        if (buffer.WrittenCount > 0)
        {
            await stream.WriteAsync(buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
        }

        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        return count;
    }

    /// <summary>Reads one value per non-blank line, each through <see cref="JsonInput"/> with the rules of <paramref name="options"/>.</summary>
    /// <exception cref="InvalidDataException">
    /// A line is not a valid <typeparamref name="T"/> (not UTF-8, not JSON, a wrong type, <c>null</c>); the message
    /// starts with "line N is not a valid T" and says why.
    /// </exception>
    public static async IAsyncEnumerable<T> ReadAsync<T>(Stream stream, JsonSerializerOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var type = (JsonTypeInfo<T>)options.GetTypeInfo(typeof(T));
        var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: FlushThreshold, leaveOpen: true));
        try
        {
            var number = 0;
            while (true)
            {
                var read = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                var buffer = read.Buffer;
                while (buffer.PositionOf((byte)'\n') is { } end)
                {
                    number++;
                    var line = buffer.Slice(0, end);
                    buffer = buffer.Slice(buffer.GetPosition(1, end));
                    if (TryReadLine(line, type, number, out var value))
                    {
                        yield return value;
                    }
                }

                if (read.IsCompleted)
                {
                    // The last line may lack its newline.
                    if (!buffer.IsEmpty && TryReadLine(buffer, type, ++number, out var last))
                    {
                        yield return last;
                    }

                    break;
                }

                reader.AdvanceTo(buffer.Start, buffer.End);
            }
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    /// <summary>False for a blank line; the value of any other line, or an <see cref="InvalidDataException"/> saying why it is not one.</summary>
    private static bool TryReadLine<T>(ReadOnlySequence<byte> line, JsonTypeInfo<T> type, int number, out T value)
    {
        byte[]? rented = null;
        try
        {
            ReadOnlySpan<byte> span;
            if (line.IsSingleSegment)
            {
                span = line.FirstSpan;
            }
            else
            {
                rented = ArrayPool<byte>.Shared.Rent((int)line.Length);
                line.CopyTo(rented);
                span = rented.AsSpan(0, (int)line.Length);
            }

            span = span.Trim(" \t\r"u8);
            if (span.IsEmpty)
            {
                value = default!;
                return false;
            }

            return JsonInput.TryRead(span, type, out value!, out var error)
                ? true
                : throw new InvalidDataException($"line {number} is not a valid {JsonErrors.FriendlyName(typeof(T))}: {error}");
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }
}
