using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Partitioned.Clustering;
using Xunit.Abstractions;

namespace Partitioned.Tests.Cluster;

/// <summary>The cluster's instruments, as a metrics pipeline sees them (filtered to the test's own cluster id).</summary>
public sealed class ClusterTelemetryTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Cluster_PublishesPartitionsByState_Attempts_Relaunches_AndRegistrationTimes()
    {
        var (loggerFactory, _) = TestLogging.Create(output);
        using var __ = loggerFactory;
        using var listener = new MeterListener();
        var measurements = new ConcurrentQueue<(string Instrument, double Value, Dictionary<string, object?> Tags)>();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == ClusterTelemetry.MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((i, v, tags, _) => measurements.Enqueue((i.Name, v, ToDictionary(tags))));
        listener.SetMeasurementEventCallback<int>((i, v, tags, _) => measurements.Enqueue((i.Name, v, ToDictionary(tags))));
        listener.SetMeasurementEventCallback<double>((i, v, tags, _) => measurements.Enqueue((i.Name, v, ToDictionary(tags))));
        listener.Start();

        // Partition 2 fails its first initialisation: one re-launch.
        var server = TestServers.RowsWith(new TestServerSettings { FailInitPartitions = [2], FailInitBelowAttempt = 1 });
        await using var cluster = await Clustering.Cluster.StartAsync(TestClusters.Integers(8, 4), server, TestClusters.Options(loggerFactory));
        var id = cluster.Id;
        listener.RecordObservableInstruments();

        IEnumerable<(string Instrument, double Value, Dictionary<string, object?> Tags)> Ours(string instrument) =>
            measurements.Where(m => m.Instrument == instrument && Equals(m.Tags.GetValueOrDefault(ClusterTelemetry.ClusterIdAttribute), id));

        Ours(ClusterTelemetry.Partitions).Where(m => (string?)m.Tags[ClusterTelemetry.StateAttribute] == "serving").Sum(m => m.Value).Should().Be(4);
        Ours(ClusterTelemetry.AttemptsStarted).Sum(m => m.Value).Should().Be(5);
        Ours(ClusterTelemetry.Relaunches).Sum(m => m.Value).Should().Be(1);
        Ours(ClusterTelemetry.AttemptsEnded).Should().ContainSingle().Which.Tags[ClusterTelemetry.AttemptStatusAttribute].Should().Be("failed");
        Ours(ClusterTelemetry.RegistrationDuration).Should().HaveCount(4).And.OnlyContain(static m => m.Value > 0 && m.Value < 60);

        await cluster.StopAsync();
        Ours(ClusterTelemetry.AttemptsEnded).Count(m => (string?)m.Tags[ClusterTelemetry.AttemptStatusAttribute] == "succeeded").Should().Be(4);
        measurements.Clear();
        listener.RecordObservableInstruments();
        Ours(ClusterTelemetry.Partitions).Should().BeEmpty("a stopped cluster is no longer observed");
    }

    private static Dictionary<string, object?> ToDictionary(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var result = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var tag in tags)
        {
            result[tag.Key] = tag.Value;
        }

        return result;
    }
}
