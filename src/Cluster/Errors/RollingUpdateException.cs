using Partitioned.Coordination;

namespace Partitioned.Clustering;

/// <summary>
/// A rolling update stopped: the new version of a replica failed or did not serve in time. Replicas not yet replaced,
/// and the one whose replacement failed, keep serving the old version; replicas already replaced serve the new one.
/// </summary>
public sealed class RollingUpdateException : PartitionedException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="partition">The partition whose replica could not be replaced.</param>
    /// <param name="replica">The replica.</param>
    /// <param name="version">The version that was rolling out.</param>
    /// <param name="replaced">How many replicas already serve the new version.</param>
    /// <param name="error">What went wrong with the new version.</param>
    /// <param name="innerException">The new attempt's failure, if it failed.</param>
    public RollingUpdateException(int partition, int replica, int version, int replaced, string error, Exception? innerException = null)
        : base($"The rolling update to version {version} stopped at partition {partition} replica {replica}: the new version did not serve ({error}). That replica still serves the old version; {replaced} replica(s) already serve version {version}.", innerException)
    {
        Partition = partition;
        Replica = replica;
        Version = version;
        Replaced = replaced;
        Error = error;
    }

    /// <summary>The partition whose replica could not be replaced.</summary>
    public int Partition { get; }

    /// <summary>The replica that could not be replaced.</summary>
    public int Replica { get; }

    /// <summary>The version that was rolling out.</summary>
    public int Version { get; }

    /// <summary>How many replicas already serve the new version.</summary>
    public int Replaced { get; }

    /// <summary>What went wrong with the new version.</summary>
    public string Error { get; }
}
