using Microsoft.Extensions.Logging;
using Partitioned.Serving;
using Partitioned.Testing.Slurm;
using Xunit.Abstractions;

namespace Partitioned.Tests.Network;

/// <summary>Slurm instance 5, for the distributed half of the matrix.</summary>
public sealed class DistributedMatrixSlurm() : LocalSlurmFixture(5);

/// <summary>Slurm instance 6, for the head-node half of the matrix.</summary>
public sealed class HeadNodeMatrixSlurm() : LocalSlurmFixture(6);

[CollectionDefinition(Name)]
public sealed class DistributedMatrixCollection : ICollectionFixture<DistributedMatrixSlurm>
{
    public const string Name = "Network matrix: distributed";
}

[CollectionDefinition(Name)]
public sealed class HeadNodeMatrixCollection : ICollectionFixture<HeadNodeMatrixSlurm>
{
    public const string Name = "Network matrix: head node";
}

/// <summary>
/// Distributed mode (2 idempotent replicas; 1 replica) x every fault, under load, on a Slurm cluster of its own whose
/// nodes live in network namespaces: runs beside the head-node half.
/// </summary>
[Collection(DistributedMatrixCollection.Name)]
public sealed class NetworkMatrixDistributedTests(DistributedMatrixSlurm fixture, ITestOutputHelper output) : IDisposable
{
    private readonly (ILoggerFactory Factory, CapturingLoggerProvider Logs) _logging = TestLogging.Create(output, LogLevel.Information, "Partitioned.Serving.HeadNode", "Partitioned.Serving.ServingGateway");

    public void Dispose() => _logging.Factory.Dispose();

    [Theory]
    [MemberData(nameof(Cells))]
    public Task Cell_UnderLoad_KeepsWhatTheDocsPromise(MatrixMode mode, MatrixFault fault) =>
        new MatrixCell(fixture.Cluster, mode, fault, _logging.Factory, output).RunAsync();

    public static TheoryData<MatrixMode, MatrixFault> Cells() => MatrixCells.Of(MatrixMode.DistributedTwoIdempotentReplicas, MatrixMode.DistributedOneReplica);
}

/// <summary>Head-node mode (1 replica; 2 replicas) x every fault, under load, on a Slurm cluster of its own.</summary>
[Collection(HeadNodeMatrixCollection.Name)]
public sealed class NetworkMatrixHeadNodeTests(HeadNodeMatrixSlurm fixture, ITestOutputHelper output) : IDisposable
{
    private readonly (ILoggerFactory Factory, CapturingLoggerProvider Logs) _logging = TestLogging.Create(output, LogLevel.Information, "Partitioned.Serving.HeadNode", "Partitioned.Serving.ServingGateway");

    public void Dispose() => _logging.Factory.Dispose();

    [Theory]
    [MemberData(nameof(Cells))]
    public Task Cell_UnderLoad_KeepsWhatTheDocsPromise(MatrixMode mode, MatrixFault fault) =>
        new MatrixCell(fixture.Cluster, mode, fault, _logging.Factory, output).RunAsync();

    public static TheoryData<MatrixMode, MatrixFault> Cells() => MatrixCells.Of(MatrixMode.HeadNodeOneReplica, MatrixMode.HeadNodeTwoReplicas);

    /// <summary>The other transport (HTTP long polls through the coordinator, for partitions that speak HTTP/1.1 only) across hosts too.</summary>
    [Theory]
    [InlineData(MatrixFault.WorkerKilled)]
    [InlineData(MatrixFault.NodeCut)]
    public Task LongPollCell_UnderLoad_KeepsWhatTheDocsPromise(MatrixFault fault) =>
        new MatrixCell(fixture.Cluster, MatrixMode.HeadNodeOneReplica, fault, _logging.Factory, output, HeadNodeTransport.HttpLongPoll).RunAsync();
}

internal static class MatrixCells
{
    public static TheoryData<MatrixMode, MatrixFault> Of(params MatrixMode[] modes)
    {
        var cells = new TheoryData<MatrixMode, MatrixFault>();
        foreach (var mode in modes)
        {
            foreach (var fault in Enum.GetValues<MatrixFault>())
            {
                cells.Add(mode, fault);
            }
        }

        return cells;
    }
}
