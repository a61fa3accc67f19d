using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace Partitioned.Datasets;

/// <summary>One JSON-lines file per partition: one JSON value per line, blank lines skipped.</summary>
internal sealed class JsonLinesPartitionSource<T>(ImmutableArray<string> files, JsonSerializerOptions options) : IPartitionSource<T>
{
    public int PartitionCount => files.Length;

    public string Describe(int partition) => $"file {files[partition]}";

    public async IAsyncEnumerable<T> ReadAsync(int partition, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var path = files[partition];
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 64 * 1024, useAsync: true);
        await using (stream.ConfigureAwait(false))
        {
            var rows = JsonSerializer.DeserializeAsyncEnumerable<T>(stream, topLevelValues: true, options, cancellationToken);
            var enumerator = rows.GetAsyncEnumerator(cancellationToken);
            await using var _ = enumerator.ConfigureAwait(false);
            for (var index = 1; ; index++)
            {
                T? row;
                try
                {
                    if (!await enumerator.MoveNextAsync().ConfigureAwait(false))
                    {
                        yield break;
                    }

                    row = enumerator.Current;
                }
                catch (JsonException ex)
                {
                    throw new InvalidDataException($"{path}, line {(ex.LineNumber ?? 0) + 1}: not a valid {typeof(T).Name} row: {ex.Message}", ex);
                }

                yield return row ?? throw new InvalidDataException($"{path}: row {index} is null; every line must hold a {typeof(T).Name}.");
            }
        }
    }
}
