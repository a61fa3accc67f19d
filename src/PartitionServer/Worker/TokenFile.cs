using Partitioned.Security;

namespace Partitioned.Server;

/// <summary>
/// Reads the cluster token from the file an engine gave a worker (<c>PARTITIONED_TOKEN_FILE</c>). A file others can
/// read or write is refused: a token anyone on the machine can read is not a secret.
/// </summary>
internal static class TokenFile
{
    private const UnixFileMode GroupOrOthers =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <exception cref="WorkerLaunchException">The file is missing, unreadable, too open, or holds no token.</exception>
    public static ClusterToken Read(string path)
    {
        string text;
        try
        {
            if (!OperatingSystem.IsWindows())
            {
                var mode = File.GetUnixFileMode(path);
                if ((mode & GroupOrOthers) != 0)
                {
                    throw new WorkerLaunchException($"The token file {path} has mode {Octal(mode)}, so others can read or change it; it must be 0600 or stricter (chmod 600 {path}).");
                }
            }

            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new WorkerLaunchException($"The token file {path} cannot be read: {ex.Message}");
        }

        try
        {
            return ClusterToken.FromValue(text.Trim());
        }
        catch (ArgumentException)
        {
            throw new WorkerLaunchException($"The token file {path} holds no cluster token (it must hold the token on its first line).");
        }
    }

    private static string Octal(UnixFileMode mode) => "0" + Convert.ToString((int)mode & 0x1FF, 8).PadLeft(3, '0');
}
