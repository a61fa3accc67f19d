namespace Partitioned.Server;

/// <summary>The ports a partition server may listen on: any free port (0), one port, or the first free port of a range.</summary>
/// <param name="First">The first port to try; 0 means any free port.</param>
/// <param name="Last">The last port to try (inclusive).</param>
public readonly record struct PortRange(int First, int Last)
{
    /// <summary>Any free port, chosen by the OS when Kestrel binds.</summary>
    public static PortRange Any { get; } = new(0, 0);

    /// <summary>Exactly one port.</summary>
    public static PortRange Single(int port) => new(port, port);

    /// <summary>The ports to try, in order.</summary>
    public IEnumerable<int> Ports => First == 0 ? [0] : Enumerable.Range(First, Last - First + 1);

    /// <summary>Why the range is invalid, or null when it is valid.</summary>
    public string? Problem =>
        First == 0 && Last == 0 ? null
        : First is < 1 or > 65535 || Last is < 1 or > 65535 ? $"ports must be between 1 and 65535, or 0 for any (was {this})"
        : Last < First ? $"the last port must not be below the first (was {this})"
        : null;

    /// <summary>Formats as <c>0</c>, <c>5000</c> or <c>5000-5010</c>.</summary>
    public override string ToString() => First == Last ? First.ToString(System.Globalization.CultureInfo.InvariantCulture) : $"{First}-{Last}";
}
