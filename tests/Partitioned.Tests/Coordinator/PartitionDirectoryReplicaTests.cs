using Partitioned.Coordination;
using Partitioned.Directories;

namespace Partitioned.Tests.Coordinator;

/// <summary>The directory's rules with several replicas per partition (attempt numbers unique per partition).</summary>
public sealed class PartitionDirectoryReplicaTests
{
    private static readonly Uri s_a = new("http://127.0.0.1:1001/");
    private static readonly Uri s_b = new("http://127.0.0.1:1002/");
    private static readonly Uri s_c = new("http://127.0.0.1:1003/");

    [Fact]
    public void Register_TwoReplicas_EachTakesItsOwnPlace_AndThePartitionServesWithTheFirst()
    {
        var directory = Admitted();

        directory.Register(0, 1, s_b).Result.Should().Be(RegistrationResult.Accepted);
        directory.Current[0].State.Should().Be(PartitionState.Serving, "one serving replica is enough");
        directory.Current.IsFullStrength.Should().BeFalse();
        directory.Register(0, 0, s_a).Result.Should().Be(RegistrationResult.Accepted);

        var entry = directory.Current[0];
        entry.Replicas.Select(r => (r.Replica, r.Attempt, r.Endpoint)).Should().Equal((0, 0, s_a), (1, 1, s_b));
        entry.Endpoint.Should().Be(s_a, "the primary is the first serving replica");
        entry.LiveEndpoints.Should().Equal(s_a, s_b);
        directory.Current.ServingReplicaCount.Should().Be(2);
        directory.Current.IsFullStrength.Should().BeTrue();
    }

    [Fact]
    public void MarkLost_OneReplica_PartitionStillServes_AndTheChangeNamesTheReplica()
    {
        var directory = Admitted();
        directory.Register(0, 0, s_a);
        directory.Register(0, 1, s_b);
        PartitionChange? seen = null;
        directory.Changed += (_, change) => seen = change;

        directory.MarkLost(0, 0, "gone").Should().BeTrue();

        directory.Current[0].State.Should().Be(PartitionState.Serving);
        directory.Current[0].Endpoint.Should().Be(s_b);
        seen!.Kind.Should().Be(PartitionChangeKind.Lost);
        seen.Replica!.Replica.Should().Be(0);
        seen.Attempt.Should().Be(0);
        directory.MarkLost(0, 1, "gone too");
        directory.Current[0].State.Should().Be(PartitionState.Lost);
    }

    [Fact]
    public void Register_ReplacementOfOneReplica_ReplacesOnlyThatReplica_AndTheOldAttemptIsStale()
    {
        var directory = Admitted();
        directory.Register(0, 0, s_a);
        directory.Register(0, 1, s_b);
        directory.Admit(0, 0, 2, version: 1).Should().BeTrue();

        directory.Register(0, 2, s_c).Result.Should().Be(RegistrationResult.Accepted);

        directory.Current[0].Replicas.Select(r => (r.Attempt, r.Endpoint, r.Version)).Should().Equal((2, s_c, 1), (1, s_b, 0));
        directory.Register(0, 0, s_a).Result.Should().Be(RegistrationResult.StaleAttempt);
        directory.ReportError(0, 0, "late report of the replaced attempt").Should().BeFalse();
        directory.Register(0, 3, s_a).Result.Should().Be(RegistrationResult.NotLaunched);
    }

    [Fact]
    public void ReportError_NewerAttemptWhileTheOlderServes_KeepsTheOlderServing()
    {
        var directory = Admitted();
        directory.Register(0, 0, s_a);
        directory.Admit(0, 0, 2, version: 1);

        directory.ReportError(0, 2, "the new version failed").Should().BeTrue();

        var replica = directory.Current[0].Replicas[0];
        replica.State.Should().Be(PartitionState.Serving);
        replica.Attempt.Should().Be(0);
        replica.LastError.Should().Be("the new version failed");
    }

    [Fact]
    public void MarkFailed_OneReplica_PartitionFailsOnlyWhenEveryReplicaHas()
    {
        var directory = Admitted();
        directory.Register(0, 1, s_b);

        directory.MarkFailed(0, 0, "replica 0 gave up").Should().BeTrue();
        directory.Current[0].State.Should().Be(PartitionState.Serving);
        directory.MarkFailed(0, 1, "replica 1 gave up");
        directory.Current[0].State.Should().Be(PartitionState.Failed);
    }

    // One partition, two replicas, attempts 0 and 1 admitted for replicas 0 and 1.
    private static PartitionDirectory Admitted()
    {
        var directory = new PartitionDirectory(1, replicas: 2);
        directory.Admit(0, 0, 0, version: 0).Should().BeTrue();
        directory.Admit(0, 1, 1, version: 0).Should().BeTrue();
        return directory;
    }
}
