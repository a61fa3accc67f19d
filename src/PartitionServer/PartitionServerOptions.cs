using Partitioned.Shared;

namespace Partitioned.Server;

/// <summary>How a partition server listens, registers and stops. Checked at start; every problem is reported at once.</summary>
public sealed record PartitionServerOptions
{
    /// <summary>The IP address Kestrel binds. Default <c>127.0.0.1</c>; <c>0.0.0.0</c> to accept connections from other machines.</summary>
    public string BindAddress { get; init; } = "127.0.0.1";

    /// <summary>The ports to try. Default <see cref="PortRange.Any"/> (port 0). A range is tried in order, binding each port once.</summary>
    public PortRange Ports { get; init; } = PortRange.Any;

    /// <summary>
    /// The host name or address registered when <see cref="BindAddress"/> is a wildcard. Default: this machine's address
    /// on the route to the coordinator (so the driver's network can reach it), else the machine's name.
    /// </summary>
    public string? AdvertisedHost { get; init; }

    /// <summary>How long registration keeps retrying (with backoff) while the coordinator is unreachable. Default 30 s.</summary>
    public TimeSpan RegistrationTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a shutdown waits for in-flight requests before aborting them. Default 10 s.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Every problem with these options, each naming the setting that fixes it; empty when they are valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var validation = new OptionsValidation(nameof(PartitionServerOptions));
        validation.RequireBindAddress(nameof(BindAddress), BindAddress);
        validation.Require(Ports.Problem is null, $"{nameof(Ports)}: {Ports.Problem}.");
        validation.Require(RegistrationTimeout > TimeSpan.Zero, $"{nameof(RegistrationTimeout)} must be positive (was {RegistrationTimeout}).");
        validation.Require(DrainTimeout >= TimeSpan.Zero, $"{nameof(DrainTimeout)} must not be negative (was {DrainTimeout}).");
        return validation.Failures;
    }
}
