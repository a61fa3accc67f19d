using Partitioned.Directories;

namespace Partitioned.Coordination;

/// <summary>What <see cref="PartitionDirectory.Register"/> did.</summary>
/// <param name="Result">Accepted, or why not.</param>
/// <param name="Entry">The partition's entry after the call (unchanged when refused); null for an unknown partition.</param>
/// <param name="Replaced">The earlier registration this one replaced, if any.</param>
/// <param name="Version">The directory version after the call.</param>
public readonly record struct RegistrationOutcome(RegistrationResult Result, PartitionEntry? Entry, PartitionEntry? Replaced, long Version);
