using System.Buffers;

namespace Partitioned.Parquet;

/// <summary>
/// The hidden folder a write stages its parts in (<c>.partitioned-write-&lt;id&gt;</c>, inside the dataset's folder),
/// locked while the write runs, and deleted when it ends. A write whose process was killed cannot delete its own, so
/// every write first deletes the stale ones: staging folders of this naming, older than the write, that no live write
/// holds.
/// </summary>
/// <remarks>
/// "Held" is an exclusive lock on a file inside the folder (<see cref="FileShare.None"/>: <c>flock</c> on Unix, a
/// sharing lock on Windows), which the operating system releases when the process dies, however it dies. It is taken
/// right after the folder is made, so a folder without it is one whose writer died in between, or one an earlier
/// version of the writer left; such a folder is deleted only once it is older than <see cref="s_unlockedGrace"/>, so a
/// write that has just made its folder is never mistaken for one. Where locks are not kept (the runtime's
/// <c>DOTNET_SYSTEM_IO_DISABLEFILELOCKING</c>), concurrent writes of one folder can delete each other's staging
/// folders: the write that lost its folder fails, and the dataset is left as it was.
/// </remarks>
internal sealed class StagingFolder : IDisposable
{
    // Hidden (a leading dot), so FromParquetFolderAsync (which lists only files of the folder itself), Spark and
    // Arrow do not take a write in progress for data.
    private const string Prefix = ".partitioned-write-";
    private const int IdLength = 12;
    private const string LockName = "write.lock";

    private static readonly TimeSpan s_unlockedGrace = TimeSpan.FromMinutes(1);
    private static readonly SearchValues<char> s_idDigits = SearchValues.Create("0123456789abcdef");

    private readonly FileStream _lock;

    private StagingFolder(string path, FileStream heldLock)
    {
        Path = path;
        _lock = heldLock;
    }

    /// <summary>The staging folder's full path.</summary>
    public string Path { get; }

    /// <summary>Makes and locks a staging folder in <paramref name="folder"/>, after deleting the stale ones there.</summary>
    public static StagingFolder Create(string folder)
    {
        // File times are the file system's clock, not a test's: the real clock is what they compare with.
        var started = TimeProvider.System.GetUtcNow().UtcDateTime;
        var path = Directory.CreateDirectory(System.IO.Path.Combine(folder, Prefix + Guid.NewGuid().ToString("N")[..IdLength])).FullName;
        FileStream held;
        try
        {
            held = new FileStream(System.IO.Path.Combine(path, LockName), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None);
        }
        catch
        {
            TryDelete(path);
            throw;
        }

        DeleteStale(folder, path, started);
        return new StagingFolder(path, held);
    }

    /// <summary>Releases the lock and deletes the folder with what is left in it (nothing after a write that succeeded).</summary>
    public void Dispose()
    {
        // Closed first: Windows deletes no file that is open.
        _lock.Dispose();
        TryDelete(Path);
    }

    private static void DeleteStale(string folder, string own, DateTime started)
    {
        IEnumerable<string> candidates;
        try
        {
            candidates = Directory.EnumerateDirectories(folder, Prefix + "*").Where(IsStagingName).ToList();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return;
        }

        foreach (var candidate in candidates)
        {
            if (!string.Equals(candidate, own, StringComparison.Ordinal) && IsStale(candidate, started))
            {
                TryDelete(candidate);
            }
        }
    }

    /// <summary>Exactly a name this writer makes: the prefix and 12 lowercase hex digits.</summary>
    private static bool IsStagingName(string path)
    {
        var name = System.IO.Path.GetFileName(path.AsSpan());
        return name.Length == Prefix.Length + IdLength
            && name.StartsWith(Prefix, StringComparison.Ordinal)
            && !name[Prefix.Length..].ContainsAnyExcept(s_idDigits);
    }

    private static bool IsStale(string candidate, DateTime started)
    {
        try
        {
            // Changed since this write started: a write that began meanwhile, whatever its lock says.
            var changed = Directory.GetLastWriteTimeUtc(candidate);
            if (changed >= started)
            {
                return false;
            }

            using (new FileStream(System.IO.Path.Combine(candidate, LockName), FileMode.Open, FileAccess.ReadWrite, FileShare.None))
            {
                // Taken, so no live write holds it.
            }

            return true;
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            // No lock (or the folder just went): its writer died before it took one, or it is an earlier version's.
            return Directory.Exists(candidate) && Directory.GetLastWriteTimeUtc(candidate) < started - s_unlockedGrace;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Held by a write under way (or not ours to open).
            return false;
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A hidden folder left behind is no reason to fail a write, nor to hide why one failed; the next write retries.
        }
    }
}
