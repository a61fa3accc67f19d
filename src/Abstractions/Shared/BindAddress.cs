using System.Net;

namespace Partitioned.Shared;

/// <summary>The one rule for a bind address setting: an IP literal.</summary>
internal static class BindAddress
{
    /// <summary>Parses a bind address; only IP literals are accepted, because "localhost" can bind two ports when the port is 0.</summary>
    public static bool TryParse(string? value, out IPAddress address)
    {
        address = IPAddress.None;
        return value is not null && IPAddress.TryParse(value, out address!);
    }
}
