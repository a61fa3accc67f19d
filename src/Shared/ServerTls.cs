using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace Partitioned.Shared;

/// <summary>
/// Puts TLS on a Kestrel listener. The certificate is asked for on every handshake, so a server whose certificate is
/// renewed (a partition attempt's, every few hours) presents the new one to the next connection without restarting.
/// </summary>
internal static class ServerTls
{
    /// <summary>How long a client may take to finish its handshake; a half-open handshake holds nothing longer.</summary>
    private static readonly TimeSpan s_handshakeTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Serves TLS on <paramref name="listen"/> with the certificate <paramref name="certificate"/> returns; null leaves it cleartext.</summary>
    public static void Use(ListenOptions listen, Func<X509Certificate2>? certificate)
    {
        if (certificate is null)
        {
            return;
        }

        listen.UseHttps(new HttpsConnectionAdapterOptions
        {
            ServerCertificateSelector = (_, _) => certificate(),
            HandshakeTimeout = s_handshakeTimeout,
            ClientCertificateMode = ClientCertificateMode.NoCertificate,
        });
    }
}
