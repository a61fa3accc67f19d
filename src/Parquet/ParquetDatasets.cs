using System.Collections.Immutable;
using Partitioned.Datasets;

namespace Partitioned.Parquet;

/// <summary>
/// Parquet datasets: <c>PartitionedDataset.FromParquetFilesAsync</c> and <c>FromParquetFolderAsync</c> read
/// files into typed rows, <c>dataset.WriteParquetAsync(folder)</c> writes any dataset (a cluster's results, for
/// one) back as Parquet.
/// </summary>
/// <example>
/// <code>
/// using Partitioned.Parquet;
///
/// var readings = await PartitionedDataset.FromParquetFolderAsync&lt;Reading&gt;("data/readings",
///     options: new ParquetReadOptions { PartitionBy = ParquetPartitioning.RowGroup });
/// await using var cluster = await Cluster.StartAsync(readings, Servers.Readings);
/// var results = await cluster.StopAsync();
/// await results.WriteParquetAsync("out/summaries");
/// </code>
/// </example>
/// <remarks>
/// Columns map to the row type's members by the members' JSON names (camelCase by default, ignoring case), with the
/// JSON rules: a required member (a constructor parameter without a default, a <c>required</c> member) needs its
/// column, a column must hold the member's type or one that widens to it without loss, and a null needs a member
/// that accepts null. Extra columns are ignored. Rows hold flat columns of bool, the integer types, float, double,
/// decimal, DateTime, DateOnly, Guid (each also nullable), string and byte[]; nested columns and other member types
/// are refused with an error that names them. The files are read on the driver (a row group at a time) and the rows
/// reach partitions as with any dataset, so every runner works and a worker never needs to see the files. Where the
/// workers do see them (a shared file system), <c>FromParquetShardsAsync</c> sends each partition a
/// <see cref="ParquetShard"/> to read itself instead.
/// </remarks>
public static class ParquetDatasets
{
    extension(PartitionedDataset)
    {
        /// <summary>
        /// A dataset of Parquet files: one partition per file in the order given, or one per row group
        /// (<see cref="ParquetReadOptions.PartitionBy"/>). Every file's schema is checked against
        /// <typeparamref name="T"/> now, so a file that does not fit fails here, not when a cluster starts.
        /// </summary>
        /// <param name="files">The files; each must exist.</param>
        /// <param name="options">Partitioning, memory and naming settings.</param>
        /// <param name="cancellationToken">Stops reading the files' footers.</param>
        /// <exception cref="FileNotFoundException">A file does not exist.</exception>
        /// <exception cref="ParquetDataException">A file is not Parquet, or its columns do not fit <typeparamref name="T"/>; the message names the file and the column.</exception>
        /// <exception cref="NotSupportedException"><typeparamref name="T"/> has a member no flat column can hold; the message names it.</exception>
        public static async Task<PartitionedDataset<T>> FromParquetFilesAsync<T>(IEnumerable<string> files, ParquetReadOptions? options = null, CancellationToken cancellationToken = default)
        {
            options ??= new ParquetReadOptions();
            var (partitions, contract) = await PlanAsync<T>(files, options, cancellationToken).ConfigureAwait(false);
            return PartitionedDataset.FromSource(new ParquetPartitionSource<T>(partitions, contract, options.MaxRowGroupsInMemory));
        }

        /// <summary>A dataset of the folder's files that match <paramref name="searchPattern"/>, in ordinal name order (see <see cref="FromParquetFilesAsync{T}"/>).</summary>
        /// <param name="folder">The folder; it must exist and hold at least one matching file.</param>
        /// <param name="searchPattern">Which files; default <c>*.parquet</c>.</param>
        /// <param name="options">Partitioning, memory and naming settings.</param>
        /// <param name="cancellationToken">Stops reading the files' footers.</param>
        public static Task<PartitionedDataset<T>> FromParquetFolderAsync<T>(string folder, string searchPattern = "*.parquet", ParquetReadOptions? options = null, CancellationToken cancellationToken = default)
        {
            var files = DatasetFiles.InFolder(folder, searchPattern);

            return FromParquetFilesAsync<T>(files, options, cancellationToken);
        }

        /// <summary>
        /// The option for workers that see the same files as the driver (a shared file system): one
        /// <see cref="ParquetShard"/> per partition (per file, or per row group) instead of the rows, so the driver
        /// sends each partition a file name and the partition's server reads the rows itself with
        /// <see cref="ParquetShard.ReadRowsAsync{T}"/>. Every file's schema is checked against <typeparamref name="T"/> now.
        /// </summary>
        /// <param name="files">The files; each must exist, at the same path on every worker.</param>
        /// <param name="options">Partitioning and naming settings.</param>
        /// <param name="cancellationToken">Stops reading the files' footers.</param>
        public static async Task<PartitionedDataset<ParquetShard>> FromParquetShardsAsync<T>(IEnumerable<string> files, ParquetReadOptions? options = null, CancellationToken cancellationToken = default)
        {
            var (partitions, _) = await PlanAsync<T>(files, options ?? new ParquetReadOptions(), cancellationToken).ConfigureAwait(false);
            return PartitionedDataset.FromPartitions(partitions.Select(static p => new[] { new ParquetShard(p.File, p.RowGroup) }));
        }
    }

    extension<T>(PartitionedDataset<T> dataset)
    {
        /// <summary>
        /// Writes each partition to <c>part-00000.parquet</c>, <c>part-00001.parquet</c>, ... in <paramref name="folder"/>
        /// (created if needed), streaming: one row group of a partition is held at a time. An empty partition
        /// becomes a file with the schema and no row groups. The files read back with <c>FromParquetFolderAsync</c>.
        /// The write replaces the dataset the folder held: the parts are written aside and renamed into place once all
        /// are written, then parts of an earlier write beyond this one's partition count are deleted, so a smaller
        /// dataset never reads back with stale parts, and a write that fails leaves the earlier dataset untouched. The
        /// hidden staging folder of a write whose process was killed is deleted by the next write of the folder.
        /// Files the writer does not name <c>part-NNNNN.parquet</c> are left alone (but <c>FromParquetFolderAsync</c>
        /// reads every <c>*.parquet</c> file it finds: keep the folder for the dataset, or read with
        /// <c>searchPattern: "part-*.parquet"</c>).
        /// </summary>
        /// <param name="folder">Where the files go; the dataset it held (the writer's parts) is replaced.</param>
        /// <param name="options">Row group size and naming.</param>
        /// <param name="cancellationToken">Stops the write.</param>
        /// <returns>The files written, in partition order.</returns>
        /// <exception cref="ParquetDataException">A row holds null in a member whose type does not accept it; the message names the file, row group, row and column.</exception>
        /// <exception cref="NotSupportedException"><typeparamref name="T"/> has a member no flat column can hold.</exception>
        public Task<IReadOnlyList<string>> WriteParquetAsync(string folder, ParquetWriteOptions? options = null, CancellationToken cancellationToken = default)
        {
            ArgumentNullException.ThrowIfNull(dataset);
            ArgumentException.ThrowIfNullOrEmpty(folder);
            options ??= new ParquetWriteOptions();
            options.Validate();
            return ParquetDatasetWriter.WriteAsync(dataset, folder, options, cancellationToken);
        }
    }

    /// <summary>Checks the files against the row type and lists the partitions.</summary>
    private static async Task<(ImmutableArray<ParquetPartition> Partitions, RowContract Contract)> PlanAsync<T>(IEnumerable<string> files, ParquetReadOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(files);
        options.Validate();
        var paths = DatasetFiles.Existing(files, "Parquet");

        var contract = RowContract.For<T>(options.Json, forWriting: false);
        var partitions = ImmutableArray.CreateBuilder<ParquetPartition>();
        foreach (var path in paths)
        {
            var reader = await ParquetFiles.OpenAsync(path, cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                RowBinding<T>.Bind(contract, reader.Schema, path, null, reader.RowGroupCount);
                var groups = reader.RowGroupCount;
                if (options.PartitionBy == ParquetPartitioning.File || groups == 0)
                {
                    partitions.Add(new ParquetPartition(path, null, groups));
                }
                else
                {
                    partitions.AddRange(Enumerable.Range(0, groups).Select(group => new ParquetPartition(path, group, groups)));
                }
            }
        }

        return (partitions.ToImmutable(), contract);
    }
}
