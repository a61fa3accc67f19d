namespace Partitioned.Coordination;

/// <summary>
/// Tells the cluster token and the client keys apart. Every presented credential is compared with the token and with
/// every key, each in constant time, so the time taken does not reveal which one (if any) it nearly matched.
/// </summary>
internal sealed class CoordinatorAccess(ClusterToken token, IReadOnlyList<ClientKey> clientKeys)
{
    private const string Scheme = "Bearer ";

    /// <summary>Classifies an <c>Authorization</c> header value (HTTP header or gRPC metadata).</summary>
    public CoordinatorCredential Classify(string? authorization)
    {
        if (authorization is null || !authorization.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase) || authorization.Length == Scheme.Length)
        {
            return CoordinatorCredential.Missing;
        }

        var presented = authorization.AsSpan(Scheme.Length).Trim();
        var isToken = token.Matches(presented);
        var isKey = false;
        foreach (var key in clientKeys)
        {
            isKey |= key.Matches(presented);
        }

        return isToken ? CoordinatorCredential.ClusterToken : isKey ? CoordinatorCredential.ClientKey : CoordinatorCredential.Invalid;
    }
}
