namespace Partitioned.Coordination;

/// <summary>How a cluster's connections are secured; see <see cref="TransportSecurity"/>.</summary>
public enum TransportSecurityMode
{
    /// <summary>Plain HTTP everywhere: tokens, client keys and request bodies travel readable by anyone on the network.</summary>
    Cleartext,

    /// <summary>TLS with certificates the user gives: the driver's, the partitions' (files on their machines) and the authorities to trust.</summary>
    Tls,

    /// <summary>TLS with an in-memory certificate authority made for the cluster and a short-lived certificate for every partition attempt.</summary>
    Automatic,
}
