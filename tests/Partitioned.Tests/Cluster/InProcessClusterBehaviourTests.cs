using Partitioned.Clustering;
using Xunit.Abstractions;

namespace Partitioned.Tests.Cluster;

public sealed class InProcessClusterBehaviourTests(ITestOutputHelper output) : ClusterBehaviourTests(output)
{
    protected override IPartitionRunner Runner => InProcessRunner.Instance;
}
