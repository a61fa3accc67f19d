using System.Collections.Immutable;

namespace Partitioned.Datasets;

/// <summary>
/// The file checks every file-backed dataset makes before it reads anything (JSON lines here, Parquet in its own
/// package): at least one file, each one there, and a folder listed in ordinal name order.
/// </summary>
internal static class DatasetFiles
{
    /// <summary>The full paths of <paramref name="files"/>, checked to be at least one and to exist.</summary>
    /// <param name="files">The files, in partition order.</param>
    /// <param name="format">The format's name, for the error (<c>JSON-lines</c>, <c>Parquet</c>).</param>
    public static ImmutableArray<string> Existing(IEnumerable<string> files, string format)
    {
        ArgumentNullException.ThrowIfNull(files);
        var paths = files.Select(Path.GetFullPath).ToImmutableArray();
        if (paths.IsEmpty)
        {
            throw new ArgumentException("A dataset needs at least one file.", nameof(files));
        }

        foreach (var path in paths)
        {
            if (!File.Exists(path))
            {
                throw new FileNotFoundException($"The {format} file {path} does not exist.", path);
            }
        }

        return paths;
    }

    /// <summary>The files of <paramref name="folder"/> matching <paramref name="searchPattern"/>, in ordinal name order; at least one.</summary>
    public static string[] InFolder(string folder, string searchPattern)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"The folder {Path.GetFullPath(folder)} does not exist.");
        }

        var files = Directory.GetFiles(folder, searchPattern).Order(StringComparer.Ordinal).ToArray();
        if (files.Length == 0)
        {
            throw new ArgumentException($"The folder {Path.GetFullPath(folder)} holds no files matching '{searchPattern}'.", nameof(folder));
        }

        return files;
    }
}
