using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Partitioned.Shared;

/// <summary>
/// The one way this library builds a Kestrel application: an empty builder (no appsettings, no environment
/// variables, no ASPNETCORE_URLS that could move the binding), one explicit listen endpoint, the caller's
/// logger factory, a drain timeout for graceful stop, and TLS when a certificate is given.
/// </summary>
internal static class KestrelApp
{
    /// <param name="applicationName">The application's name.</param>
    /// <param name="loggerFactory">Where it logs.</param>
    /// <param name="address">The address to bind.</param>
    /// <param name="port">The port to bind; 0 for any free one.</param>
    /// <param name="drainTimeout">How long a graceful stop waits for requests in flight.</param>
    /// <param name="certificate">The certificate to serve TLS with (asked for on every handshake), or null for cleartext.</param>
    public static WebApplicationBuilder CreateBuilder(string applicationName, ILoggerFactory loggerFactory, IPAddress address, int port, TimeSpan drainTimeout, Func<System.Security.Cryptography.X509Certificates.X509Certificate2>? certificate = null)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions
        {
            ApplicationName = applicationName,
            EnvironmentName = Environments.Production,
            ContentRootPath = AppContext.BaseDirectory,
        });

        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(address, port, listen => ServerTls.Use(listen, certificate));
        });

        // Registered before AddLogging so the caller's factory wins; an instance registration is not
        // disposed with the application, which matters because the caller's factory outlives it.
        builder.Services.AddSingleton(loggerFactory);
        builder.Services.AddLogging();
        builder.Services.AddRouting();
        builder.Services.AddSingleton<IHostLifetime, PassiveHostLifetime>();
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = drainTimeout);
        return builder;
    }

    /// <summary>Parses a bind address (<see cref="BindAddress.TryParse"/>: IP literals only).</summary>
    public static bool TryParseBindAddress(string? value, out IPAddress address) => BindAddress.TryParse(value, out address);

    /// <summary>
    /// The address Kestrel actually bound (port 0 resolved), with a wildcard host replaced by the host peers
    /// should dial: <paramref name="advertisedHost"/> when set; else, when <paramref name="peer"/> is given, this
    /// machine's address on the route to that peer (the interface the driver's network reaches); else the machine's name.
    /// </summary>
    public static Uri GetBoundAddress(WebApplication app, string? advertisedHost, Uri? peer = null)
    {
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses;
        var bound = addresses?.FirstOrDefault()
            ?? throw new InvalidOperationException("Kestrel started but reported no bound address.");
        var uri = new Uri(bound);
        var host = advertisedHost;
        if (host is null && IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && IsWildcard(ip))
        {
            host = AdvertisedHost(ip, advertisedHost: null, peer);
        }

        return host is null ? uri : new UriBuilder(uri) { Host = host }.Uri;
    }

    /// <summary>
    /// The host peers dial for a server bound to <paramref name="bound"/>: <paramref name="advertisedHost"/> when set; for a
    /// wildcard, this machine's address on the route to <paramref name="peer"/> (else its name); otherwise the bound address
    /// itself. Known before the server listens, so a TLS certificate can be made for it first.
    /// </summary>
    public static string AdvertisedHost(IPAddress bound, string? advertisedHost, Uri? peer)
    {
        if (advertisedHost is not null)
        {
            return advertisedHost;
        }

        if (IsWildcard(bound))
        {
            return (peer is null ? null : LocalAddressToward(peer)) ?? Dns.GetHostName();
        }

        return bound.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{bound}]" : bound.ToString();
    }

    private static bool IsWildcard(IPAddress address) => address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any);

    /// <summary>The local address this machine would send from to reach <paramref name="peer"/>, or null when it cannot tell.</summary>
    /// <remarks>Connecting a UDP socket only chooses the route; nothing is sent.</remarks>
    internal static string? LocalAddressToward(Uri peer)
    {
        try
        {
            var target = IPAddress.TryParse(peer.Host.Trim('[', ']'), out var literal)
                ? literal
                : Dns.GetHostAddresses(peer.DnsSafeHost).FirstOrDefault(static a => a.AddressFamily is System.Net.Sockets.AddressFamily.InterNetwork or System.Net.Sockets.AddressFamily.InterNetworkV6);
            if (target is null)
            {
                return null;
            }

            using var socket = new System.Net.Sockets.Socket(target.AddressFamily, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp);
            socket.Connect(target, peer.Port);
            var local = ((IPEndPoint)socket.LocalEndPoint!).Address;
            return local.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{local}]" : local.ToString();
        }
        catch (System.Net.Sockets.SocketException)
        {
            return null;
        }
    }

    /// <summary>True when starting Kestrel failed because the port is taken, so another port of a range can be tried.</summary>
    public static bool IsAddressInUse(Exception exception) =>
        exception is IOException { InnerException: System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.AddressAlreadyInUse } }
        || exception is IOException io && io.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase)
        || exception.GetType().Name == "AddressInUseException";
}
