using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Partitioned.Clustering;
using Partitioned.Directories;
using Partitioned.Server;
using Partitioned.Testing.Slurm;
using Xunit.Abstractions;

namespace Partitioned.Tests.Slurm;

/// <summary>Workers launched by Slurm itself (an sbatch job array), with the token in a file and attempts assigned by the coordinator.</summary>
[Collection(SlurmCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class SlurmEngineLaunchedTests : IDisposable
{
    private readonly LocalSlurmCluster _slurm;
    private readonly ITestOutputHelper _output;
    private readonly ILoggerFactory _loggerFactory;
    private readonly CapturingLoggerProvider _logs;
    private readonly string _folder = Directory.CreateTempSubdirectory("partitioned-sbatch-").FullName;

    public SlurmEngineLaunchedTests(SlurmFixture fixture, ITestOutputHelper output)
    {
        _slurm = fixture.Cluster;
        _output = output;
        (_loggerFactory, _logs) = TestLogging.Create(output, LogLevel.Debug);
    }

    public void Dispose()
    {
        _loggerFactory.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task SbatchArray_WithARequeue_TheRequeuedTaskBecomesTheNextAttempt_AndEveryResultComesBack()
    {
        var tokenFile = Path.Combine(_folder, "token");
        var script = Path.Combine(_folder, "worker.sh");
        string? arrayJob = null;
        var runner = new ExternalWorkersRunner(async (launch, ct) =>
        {
            await launch.WriteTokenFileAsync(tokenFile, ct);

            // The engine's index is the partition; everything else comes from the launch.
            await File.WriteAllTextAsync(script, $"#!/bin/bash\nexport PARTITIONED_PARTITION=$SLURM_ARRAY_TASK_ID\nexec {TestWorkers.Options.Executable} {TestWorkers.Dll}\n", ct);
            var environment = launch.WorkerEnvironment(tokenFile).ToDictionary();
            arrayJob = (await _slurm.SlurmAsync(environment, "sbatch", "--parsable", $"--array=0-{launch.PartitionCount - 1}", "--requeue",
                $"--job-name=partitioned-{launch.ClusterId}", $"--output={_folder}/%A_%a.out", $"--chdir={_folder}", script)).Trim();
        }, workersOnOtherHosts: _slurm.Mode == "netns");
        var options = _slurm.ClusterOptions(_loggerFactory) with { Runner = runner, StartTimeout = TimeSpan.FromSeconds(90) };

        await using var cluster = await Clustering.Cluster.StartAsync(TestClusters.Integers(40, 4), TestServers.RowsWith(), options);
        var id = cluster.Id;
        var token = cluster.Token.Value;
        cluster.Directory.Current.Partitions.Should().OnlyContain(static p => p.Attempt == 0 && p.State == PartitionState.Serving);
        (await _slurm.QueueAsync(id)).Should().HaveCount(4).And.OnlyContain(static j => j.State == "RUNNING");

        // Slurm requeues task 2 (as after a node failure or a preemption): it is stopped, queued again and started again.
        var replaced = cluster.Directory.WaitUntilAsync(static s => s[2].Attempt == 1 && s[2].State == PartitionState.Serving, CancellationToken.None);
        var clock = Stopwatch.StartNew();
        await _slurm.SlurmAsync("scontrol", "requeue", $"{arrayJob}_2");
        await replaced.WaitAsync(TimeSpan.FromSeconds(120));
        _output.WriteLine($"requeue to the requeued task serving as attempt 1: {clock.ElapsedMilliseconds} ms");

        cluster.Attempts.Should().ContainSingle().Which.Should().Match<AttemptOutcome>(a => a.Partition == 2 && a.Attempt == 0 && a.Status == AttemptStatus.Failed);
        _logs.Text.Should().Contain("Partition 2: assigned attempt 1 to a worker its engine launched.");
        (await (await cluster.StopAsync()).CollectAsync()).Should().Equal(Enumerable.Range(0, 40));

        await Eventually.TrueAsync(async () => (await _slurm.QueueAsync(id)).Count == 0, "every array task ended with its worker", TimeSpan.FromSeconds(30));
        var outputs = Directory.GetFiles(_folder, "*.out");
        outputs.Should().NotBeEmpty();
        foreach (var file in outputs)
        {
            (await File.ReadAllTextAsync(file)).Should().NotContain(token, $"the output file {Path.GetFileName(file)}");
        }

        var record = await _slurm.SlurmAsync("scontrol", "show", "job", arrayJob!);
        record.Should().NotContain(token);
    }
}
