namespace Partitioned.Coordination;

/// <summary>What a request's bearer credential turned out to be.</summary>
internal enum CoordinatorCredential
{
    /// <summary>No <c>Authorization: Bearer</c> credential at all (401).</summary>
    Missing,

    /// <summary>A credential that is neither the token nor a client key (403).</summary>
    Invalid,

    /// <summary>One of the cluster's read-only client keys.</summary>
    ClientKey,

    /// <summary>The cluster token: every right.</summary>
    ClusterToken,
}
