using Microsoft.Extensions.Logging;
using Partitioned.Coordination;
using Partitioned.Directories;

namespace Partitioned.Clustering;

/// <summary>The two steps: a replica started, a replica retired.</summary>
internal sealed partial class Autoscaler<TRow, TResult>
{
    // A new replica opens the lowest retired slot whose line no longer runs (a retired replica may still be draining).
    private async Task ScaleUpAsync(int partition, double mean, int serving)
    {
        await Task.Yield();
        var started = _time.GetTimestamp();
        var snapshot = Directory.Current;
        var slot = -1;
        for (var replica = 0; replica < snapshot[partition].Replicas.Length && slot < 0; replica++)
        {
            if (snapshot[partition].Replicas[replica].State == PartitionState.Retired && !IsRunning(partition, replica))
            {
                slot = replica;
            }
        }

        if (slot < 0)
        {
            Log.NoFreeSlot(_logger, partition);
            return;
        }

        var step = new AutoscaleEvent(_time.GetUtcNow(), partition, "up", slot, mean, serving);
        Remember(step);
        var reason = $"autoscaling: partition {partition} averaged {mean:0.##} requests in flight over {serving} replica(s), target {_options.TargetInFlight:0.##} each";
        if (!Directory.Reopen(partition, slot, reason))
        {
            step.Outcome = "the slot was not retired any more";
            return;
        }

        if (!_lines.TryStartLine(partition, slot))
        {
            Directory.Retire(partition, slot, "autoscaling: the cluster is stopping, so the new replica was not started");
            step.Outcome = "not started: the cluster is stopping";
            return;
        }

        ClusterMetrics.AutoscaleSteps.Add(1, ClusterMetrics.Cluster(ClusterId), new(ClusterTelemetry.AutoscaleDirectionAttribute, "up"));
        Log.ScalingUp(_logger, partition, slot, mean, serving, _options.TargetInFlight);
        try
        {
            // The same bound as a partition's first registration; the line re-launches a failed attempt meanwhile.
            using var deadline = new CancellationTokenSource(_lines.Settings.Options.StartTimeout);
            await Directory.WaitUntilAsync(s => s[partition].Replicas[slot].State is PartitionState.Serving or PartitionState.Retired or PartitionState.Failed or PartitionState.Stopped, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        var seconds = _time.GetElapsedTime(started).TotalSeconds;
        var now = Directory.Current[partition].Replicas[slot];
        (step.Outcome, step.Seconds) = (now.State == PartitionState.Serving ? "serving" : $"{now.State.ToString().ToLowerInvariant()}: {now.LastError}", seconds);
        if (now.State == PartitionState.Serving)
        {
            ClusterMetrics.AutoscaleStepDuration.Record(seconds, ClusterMetrics.Cluster(ClusterId), new(ClusterTelemetry.AutoscaleDirectionAttribute, "up"));
            Log.ScaledUp(_logger, partition, slot, now.Attempt, seconds);
        }
    }

    // The replica of the highest slot that serves leaves routing, then drains and stops: the lowest slots stay, so a
    // partition's first replica (whose results are the partition's unless replicas are merged) is the last to go.
    private async Task ScaleDownAsync(int partition, double mean, int serving, CancellationToken stopping)
    {
        await Task.Yield();
        var started = _time.GetTimestamp();
        var replicas = Directory.Current[partition].Replicas;
        var victim = replicas.LastOrDefault(static r => r.State == PartitionState.Serving);
        if (victim is null || victim.Endpoint is not { } endpoint)
        {
            return;
        }

        var line = _lines.Line(partition, victim.Replica);
        var step = new AutoscaleEvent(_time.GetUtcNow(), partition, "down", victim.Replica, mean, serving);
        Remember(step);

        // Set before the directory says so: from the moment it is retired, a failure of its attempt ends the line.
        line.Retiring = true;
        if (!Directory.Retire(partition, victim.Replica, $"autoscaling: partition {partition} averaged {mean:0.##} requests in flight over {serving} replicas, under the target of {_options.TargetInFlight:0.##} each with one fewer"))
        {
            line.Retiring = false;
            step.Outcome = "the replica was not serving any more";
            return;
        }

        var version = Directory.Current.Version;
        ClusterMetrics.AutoscaleSteps.Add(1, ClusterMetrics.Cluster(ClusterId), new(ClusterTelemetry.AutoscaleDirectionAttribute, "down"));
        Log.Retiring(_logger, partition, victim.Replica, victim.Attempt, mean, serving, version);

        // Routers on the driver pick from the directory's current snapshot, so they have the version already; remote
        // clients have it once their Watch stream was handed it. A stop cuts both waits short: the drain still happens.
        var acknowledged = false;
        try
        {
            acknowledged = await _coordinator.WaitForWatchersAsync(version, _options.AcknowledgeTimeout, stopping).ConfigureAwait(false);
            await Task.Delay(_options.RetireGrace, _time, stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        if (!acknowledged && !stopping.IsCancellationRequested)
        {
            Log.NotAcknowledged(_logger, partition, victim.Replica, version, _options.AcknowledgeTimeout);
        }

        // Nothing else will ask it to stop now that it left the directory (a cluster stop included), so the request
        // is sent whatever happens meanwhile, as a rolling update does for the attempt it replaced.
        if (await _shutdown(endpoint, CancellationToken.None).ConfigureAwait(false) is { } problem)
        {
            Log.DrainRefused(_logger, partition, victim.Replica, problem);
            _lines.Abandon(partition, victim.Replica);
        }

        Task? run;
        lock (_lines.Gate)
        {
            run = line.Run;
        }

        var stopTimeout = _lines.Settings.Options.StopTimeout;
        if (run is not null)
        {
            await ((Task)run).WaitAsync(stopTimeout).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (!run.IsCompleted)
            {
                Log.DrainRefused(_logger, partition, victim.Replica, $"it did not stop within {stopTimeout}");
                _lines.Abandon(partition, victim.Replica);
            }
        }

        var seconds = _time.GetElapsedTime(started).TotalSeconds;
        (step.Outcome, step.Seconds) = (run is { IsCompletedSuccessfully: true } ? "retired" : "retired (its attempt did not end cleanly)", seconds);
        ClusterMetrics.AutoscaleStepDuration.Record(seconds, ClusterMetrics.Cluster(ClusterId), new(ClusterTelemetry.AutoscaleDirectionAttribute, "down"));
        Log.Retired(_logger, partition, victim.Replica, seconds);
    }

    private bool IsRunning(int partition, int replica)
    {
        lock (_lines.Gate)
        {
            return _lines.Line(partition, replica).IsRunning;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 260, Level = LogLevel.Information, Message = "Autoscaling: partition {Partition} averaged {Mean:0.##} requests in flight over {Serving} replica(s) (target {Target} each); starting replica {Replica}.")]
        public static partial void ScalingUp(ILogger logger, int partition, int replica, double mean, int serving, double target);

        [LoggerMessage(EventId = 261, Level = LogLevel.Information, Message = "Autoscaling: partition {Partition} replica {Replica} serves (attempt {Attempt}), {Seconds:0.###} s after the decision.")]
        public static partial void ScaledUp(ILogger logger, int partition, int replica, int attempt, double seconds);

        [LoggerMessage(EventId = 262, Level = LogLevel.Information, Message = "Autoscaling: partition {Partition} averaged {Mean:0.##} requests in flight over {Serving} replicas; replica {Replica} (attempt {Attempt}) left routing at directory version {Version} and drains.")]
        public static partial void Retiring(ILogger logger, int partition, int replica, int attempt, double mean, int serving, long version);

        [LoggerMessage(EventId = 263, Level = LogLevel.Information, Message = "Autoscaling: partition {Partition} replica {Replica} drained and stopped, {Seconds:0.###} s after the decision.")]
        public static partial void Retired(ILogger logger, int partition, int replica, double seconds);

        [LoggerMessage(EventId = 264, Level = LogLevel.Warning, Message = "Autoscaling: not every Watch stream was handed directory version {Version} within {Timeout}; draining partition {Partition} replica {Replica} anyway.")]
        public static partial void NotAcknowledged(ILogger logger, int partition, int replica, long version, TimeSpan timeout);

        [LoggerMessage(EventId = 265, Level = LogLevel.Warning, Message = "Autoscaling: partition {Partition} replica {Replica} could not be drained ({Problem}); abandoning it.")]
        public static partial void DrainRefused(ILogger logger, int partition, int replica, string problem);

        [LoggerMessage(EventId = 266, Level = LogLevel.Information, Message = "Autoscaling: partition {Partition} should scale up, but every replica slot is in use or still draining.")]
        public static partial void NoFreeSlot(ILogger logger, int partition);

        [LoggerMessage(EventId = 267, Level = LogLevel.Error, Message = "Autoscaling: a sample failed; the next one runs as usual.")]
        public static partial void SampleFailed(ILogger logger, Exception exception);
    }
}
