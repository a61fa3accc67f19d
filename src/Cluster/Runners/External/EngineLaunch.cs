using System.Globalization;
using System.Text;
using Partitioned.Coordination;
using Partitioned.Protocol;
using Partitioned.Security;

namespace Partitioned.Clustering;

/// <summary>
/// What an engine needs to launch the workers of one cluster run itself (see <see cref="ExternalWorkersRunner"/>):
/// where the coordinator listens, the cluster token (to hand over in a file only its workers can read), and the
/// worker variables. Each worker also needs <c>PARTITIONED_PARTITION</c>, taken from the engine's own task index
/// (a Slurm array's <c>SLURM_ARRAY_TASK_ID</c>, a Kubernetes Indexed Job's completion index).
/// </summary>
public sealed class EngineLaunch
{
    internal EngineLaunch(string clusterId, Uri coordinator, int partitionCount, string server, ClusterToken token, IReadOnlyList<System.Security.Cryptography.X509Certificates.X509Certificate2>? trustedAuthorities = null)
    {
        TrustedAuthorities = trustedAuthorities ?? [];
        ClusterId = clusterId;
        Coordinator = coordinator;
        PartitionCount = partitionCount;
        Server = server;
        Token = token;
    }

    /// <summary>The cluster run's id.</summary>
    public string ClusterId { get; }

    /// <summary>The coordinator's address, as workers dial it.</summary>
    public Uri Coordinator { get; }

    /// <summary>How many partitions to launch (indexes 0 to <c>PartitionCount - 1</c>).</summary>
    public int PartitionCount { get; }

    /// <summary>The name of the server definition the workers run.</summary>
    public string Server { get; }

    /// <summary>
    /// Under TLS, the certificate authorities workers trust (public certificates); <see cref="WorkerEnvironment"/> passes
    /// them in <c>PARTITIONED_TLS_CA</c>. Empty in cleartext.
    /// </summary>
    public IReadOnlyList<System.Security.Cryptography.X509Certificates.X509Certificate2> TrustedAuthorities { get; }

    /// <summary>The cluster token. Hand it to workers only in a file (<see cref="WriteTokenFileAsync"/>) or a secret store; never on a command line, in an environment variable or in a log.</summary>
    public ClusterToken Token { get; }

    /// <summary>
    /// Writes the token to <paramref name="path"/>, readable and writable by its owner only (mode 0600, set when the
    /// file is created, so it is never readable by others even for a moment). A file already there is replaced.
    /// </summary>
    public async Task WriteTokenFileAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        File.Delete(path);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        var stream = new FileStream(path, options);
        await using (stream.ConfigureAwait(false))
        {
            await stream.WriteAsync(Encoding.UTF8.GetBytes(Token.Value + "\n"), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The variables every worker of this run needs (all but <c>PARTITIONED_PARTITION</c>), with the token read
    /// from <paramref name="tokenFile"/> on the worker's machine (and, under TLS, the authorities to trust).
    /// </summary>
    public IReadOnlyDictionary<string, string> WorkerEnvironment(string tokenFile)
    {
        ArgumentException.ThrowIfNullOrEmpty(tokenFile);
        var variables = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [WorkerProtocol.WorkerVariable] = "1",
            [WorkerProtocol.CoordinatorVariable] = Coordinator.ToString(),
            [WorkerProtocol.ClusterIdVariable] = ClusterId,
            [WorkerProtocol.ServerVariable] = Server,
            [WorkerProtocol.TokenFileVariable] = tokenFile,
        };
        if (TrustedAuthorities.Count > 0)
        {
            variables[WorkerProtocol.TrustedAuthoritiesVariable] = CertificateText.Encode(TrustedAuthorities);
        }

        return variables;
    }

    /// <inheritdoc />
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"cluster {ClusterId}: {PartitionCount} partitions of '{Server}', coordinator {Coordinator}");
}
