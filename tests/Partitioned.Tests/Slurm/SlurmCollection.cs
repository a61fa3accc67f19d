using Partitioned.Testing.Slurm;

namespace Partitioned.Tests.Slurm;

/// <summary>The tests that share one local Slurm cluster; they run one at a time.</summary>
[CollectionDefinition(Name)]
public sealed class SlurmCollection : ICollectionFixture<SlurmFixture>
{
    public const string Name = "Slurm";
}
