using Partitioned.Security;

namespace Partitioned.Coordination;

/// <summary>
/// Tells the cluster token and the client keys apart. Every presented credential is compared with the token and with
/// every key, each in constant time, so the time taken does not reveal which one (if any) it nearly matched.
/// </summary>
internal sealed class CoordinatorAccess(ClusterToken token, IReadOnlyList<ClientKey> clientKeys)
{
    private const string Scheme = "Bearer ";

    /// <summary>How many credentials open the coordinator: the token and every client key.</summary>
    public int CredentialCount => clientKeys.Count + 1;

    /// <summary>Classifies an <c>Authorization</c> header value (HTTP header or gRPC metadata).</summary>
    public CoordinatorCredential Classify(string? authorization) => Identify(authorization).Kind;

    /// <summary>
    /// Classifies an <c>Authorization</c> header value and, for a valid one, says which credential it is: 0 for the
    /// cluster token, 1 + i for client key i (-1 otherwise), so limits can be kept per credential.
    /// </summary>
    public (CoordinatorCredential Kind, int Credential) Identify(string? authorization)
    {
        if (authorization is null || !authorization.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase) || authorization.Length == Scheme.Length)
        {
            return (CoordinatorCredential.Missing, -1);
        }

        var presented = authorization.AsSpan(Scheme.Length).Trim();
        var isToken = token.Matches(presented);
        var key = -1;
        for (var i = 0; i < clientKeys.Count; i++)
        {
            // Every key is compared, matched or not: no early exit to time.
            if (clientKeys[i].Matches(presented))
            {
                key = i;
            }
        }

        return isToken ? (CoordinatorCredential.ClusterToken, 0)
            : key >= 0 ? (CoordinatorCredential.ClientKey, key + 1)
            : (CoordinatorCredential.Invalid, -1);
    }
}
