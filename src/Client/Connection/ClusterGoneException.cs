namespace Partitioned.Client;

/// <summary>
/// The cluster a <see cref="PartitionedClient"/> followed is gone: it stopped (every partition stopped or failed),
/// its coordinator stayed unreachable longer than <see cref="PartitionedClientOptions.GoneAfter"/>, or it refused
/// the key. The message says which.
/// </summary>
public sealed class ClusterGoneException : PartitionedException
{
    /// <summary>Creates the exception with a message that says why the cluster is considered gone.</summary>
    public ClusterGoneException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
