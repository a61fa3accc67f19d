using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Partitioned.Clustering;

/// <summary>
/// Decides who sees the dashboard. Without a key: loopback clients only, and not through a proxy (a request with
/// forwarded headers is refused: behind a proxy on this machine everyone is loopback). With a key: a client that posted it to the
/// login route gets a random session cookie (HttpOnly, SameSite=Strict); the key itself never goes back to the
/// browser, and neither does the cluster token. Every comparison is in constant time.
/// </summary>
internal sealed class DashboardAccess
{
    public const string CookieName = "partitioned-dashboard";

    private readonly byte[]? _key;
    private readonly byte[] _session = RandomNumberGenerator.GetBytes(32);

    public DashboardAccess(string? key)
    {
        _key = key is null ? null : Encoding.UTF8.GetBytes(key.Trim());
        SessionValue = Convert.ToBase64String(_session);
    }

    /// <summary>True when a key protects the dashboard (otherwise loopback only).</summary>
    public bool RequiresKey => _key is not null;

    /// <summary>The cookie value of a logged-in browser.</summary>
    public string SessionValue { get; }

    /// <summary>What the request may do: see it, must log in first, or is refused.</summary>
    public DashboardAccessResult Check(HttpContext context)
    {
        if (_key is null)
        {
            if (context.Connection.RemoteIpAddress is not { } address || !IPAddress.IsLoopback(address))
            {
                return DashboardAccessResult.Refused;
            }

            // A reverse proxy on this machine makes every client loopback; the headers it adds give it away.
            return IsForwarded(context.Request.Headers) ? DashboardAccessResult.Proxied : DashboardAccessResult.Allowed;
        }

        return context.Request.Cookies.TryGetValue(CookieName, out var cookie) && cookie is not null && Matches(Encoding.UTF8.GetBytes(cookie), Encoding.UTF8.GetBytes(SessionValue))
            ? DashboardAccessResult.Allowed
            : DashboardAccessResult.LoginRequired;
    }

    /// <summary>The headers that say a request came through a proxy, for the message that refuses it.</summary>
    public const string ForwardedHeaders = "Forwarded, X-Forwarded-For, X-Forwarded-Host, X-Forwarded-Proto or X-Real-IP";

    private static bool IsForwarded(IHeaderDictionary headers) =>
        headers.ContainsKey("Forwarded") || headers.ContainsKey("X-Forwarded-For") || headers.ContainsKey("X-Forwarded-Host")
        || headers.ContainsKey("X-Forwarded-Proto") || headers.ContainsKey("X-Real-IP");

    /// <summary>True when <paramref name="presented"/> is the dashboard key.</summary>
    public bool IsKey(string? presented) => _key is not null && presented is not null && Matches(Encoding.UTF8.GetBytes(presented.Trim()), _key);

    private static bool Matches(byte[] presented, byte[] expected) => CryptographicOperations.FixedTimeEquals(presented, expected);
}
