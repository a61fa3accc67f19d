using Partitioned.Coordination;

namespace Partitioned.Clustering;

public sealed partial class Cluster<TRow, TResult>
{
    private TransportSecurity? _transport;

    /// <summary>
    /// How this cluster's connections are secured: <see cref="ClusterOptions.Transport"/>, or when it is unset, automatic
    /// TLS for a runner whose partitions run on other machines and cleartext otherwise. An automatic authority is made
    /// once per cluster and kept across restarts, so clients given <see cref="TransportSecurity.TrustedAuthorities"/> keep
    /// trusting it. Hand those authorities to remote clients with their key (<see cref="Security.ClientKey.WithTrustedAuthorities"/>),
    /// and use <see cref="TransportSecurity.CreateHttpHandler"/> to call partitions or the serving front from your own code.
    /// </summary>
    public TransportSecurity Transport => LazyInitializer.EnsureInitialized(ref _transport, () => Options.Transport ?? TransportChecks.Default(Options));
}
