using Parquet;

namespace Partitioned.Parquet;

/// <summary>Opens Parquet files, turning "not a Parquet file" and I/O failures into errors that name the file.</summary>
internal static class ParquetFiles
{
    /// <summary>Dates come as <see cref="DateOnly"/>; they still fill DateTime members (a lossless widening).</summary>
    public static ParquetOptions ReaderOptions { get; } = new() { UseDateOnlyTypeForDates = true };

    /// <exception cref="ParquetDataException">The file cannot be opened as Parquet.</exception>
    public static async Task<ParquetReader> OpenAsync(string file, CancellationToken cancellationToken)
    {
        try
        {
            return await ParquetReader.CreateAsync(file, ReaderOptions, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException or NotSupportedException or ArgumentException)
        {
            throw new ParquetDataException(file, null, null, null, $"cannot be opened as a Parquet file: {ex.Message}", ex);
        }
    }
}
