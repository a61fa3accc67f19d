using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;

namespace Partitioned.Shared;

/// <summary>
/// Newline-delimited JSON, the format of the worker protocol's row and result streams: one JSON value per line,
/// UTF-8, <c>\n</c> after every value, blank lines ignored when reading.
/// </summary>
internal static class Ndjson
{
    private const int FlushThreshold = 64 * 1024;
    private static readonly UTF8Encoding s_utf8 = new(encoderShouldEmitUTF8Identifier: false);

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

    /// <summary>Reads one value per non-blank line.</summary>
    /// <exception cref="InvalidDataException">A line is not a valid <typeparamref name="T"/>, or is <c>null</c>; the message starts with "line N".</exception>
    public static async IAsyncEnumerable<T> ReadAsync<T>(Stream stream, JsonSerializerOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(stream, s_utf8, detectEncodingFromByteOrderMarks: false, bufferSize: FlushThreshold, leaveOpen: true);
        var number = 0;
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            number++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            T? value;
            try
            {
                value = JsonSerializer.Deserialize<T>(line, options);
            }
            catch (JsonException ex)
            {
                throw new InvalidDataException($"line {number} is not a valid {typeof(T).Name}: {Describe(ex)}", ex);
            }

            yield return value ?? throw new InvalidDataException($"line {number} is null; every line must hold a {typeof(T).Name}.");
        }
    }

    private static string Describe(JsonException exception)
    {
        var message = JsonErrors.Trim(exception.Message);
        return exception.Path is { Length: > 1 } path ? $"{message} (at {path})" : message;
    }
}
