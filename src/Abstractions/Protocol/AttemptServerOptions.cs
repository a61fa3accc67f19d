namespace Partitioned.Protocol;

/// <summary>How a worker's partition server listens, registers and drains; part of <see cref="AttemptLaunchResponse"/>.</summary>
/// <param name="BindAddress">The IP address to bind, such as <c>127.0.0.1</c>.</param>
/// <param name="FirstPort">The first port to try; 0 for any free port.</param>
/// <param name="LastPort">The last port to try (inclusive); 0 with <paramref name="FirstPort"/> 0.</param>
/// <param name="AdvertisedHost">The host to register when binding a wildcard address, or null.</param>
/// <param name="RegistrationTimeoutMs">How long registration retries, in milliseconds.</param>
/// <param name="DrainTimeoutMs">How long a shutdown waits for in-flight requests, in milliseconds.</param>
public sealed record AttemptServerOptions(
    string BindAddress,
    int FirstPort,
    int LastPort,
    string? AdvertisedHost,
    long RegistrationTimeoutMs,
    long DrainTimeoutMs);
