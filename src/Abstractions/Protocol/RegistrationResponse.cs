namespace Partitioned.Protocol;

/// <summary>Reply to an accepted registration.</summary>
/// <param name="Partition">The registered partition.</param>
/// <param name="Attempt">The registered attempt.</param>
/// <param name="Version">The directory version after the registration.</param>
/// <param name="Replaced">The entry this registration replaced, when an earlier attempt had registered.</param>
public sealed record RegistrationResponse(int Partition, int Attempt, long Version, HostEntry? Replaced);
