using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Partitioned.Coordination;
using Partitioned.Directories;

namespace Partitioned.Clustering;

/// <summary>The cluster instruments. One static meter; running clusters register their directory for the partition counts.</summary>
internal static class ClusterMetrics
{
    private static readonly ConcurrentDictionary<string, PartitionDirectory> s_running = new(StringComparer.Ordinal);

    public static readonly Meter Meter = new(ClusterTelemetry.MeterName);

    public static readonly Counter<long> AttemptsStarted = Meter.CreateCounter<long>(ClusterTelemetry.AttemptsStarted, unit: "{attempt}", description: "Partition attempts launched.");

    public static readonly Counter<long> AttemptsEnded = Meter.CreateCounter<long>(ClusterTelemetry.AttemptsEnded, unit: "{attempt}", description: "Partition attempts that ended, by how.");

    public static readonly Counter<long> Relaunches = Meter.CreateCounter<long>(ClusterTelemetry.Relaunches, unit: "{attempt}", description: "Attempts after a partition's first.");

    public static readonly Histogram<double> RegistrationDuration = Meter.CreateHistogram<double>(
        ClusterTelemetry.RegistrationDuration, unit: "s", description: "Time from an attempt's launch to its registration.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] });

    public static readonly Counter<long> AutoscaleSteps = Meter.CreateCounter<long>(ClusterTelemetry.AutoscaleSteps, unit: "{step}", description: "Autoscaling steps carried out, by direction.");

    public static readonly Histogram<double> AutoscaleStepDuration = Meter.CreateHistogram<double>(
        ClusterTelemetry.AutoscaleStepDuration, unit: "s", description: "Time from an autoscaling decision to the new replica serving, or the retired one stopped.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] });

    static ClusterMetrics() => Meter.CreateObservableUpDownCounter(ClusterTelemetry.Partitions, ObservePartitions, unit: "{partition}", description: "Partitions by state.");

    /// <summary>Counts the partitions of this cluster run until <see cref="Forget"/>.</summary>
    public static void Watch(string clusterId, PartitionDirectory directory) => s_running[clusterId] = directory;

    public static void Forget(string clusterId) => s_running.TryRemove(clusterId, out _);

    public static KeyValuePair<string, object?> Cluster(string clusterId) => new(ClusterTelemetry.ClusterIdAttribute, clusterId);

    private static IEnumerable<Measurement<int>> ObservePartitions()
    {
        foreach (var (id, directory) in s_running)
        {
            var counts = new int[Enum.GetValues<PartitionState>().Length];
            foreach (var entry in directory.Current.Partitions)
            {
                counts[(int)entry.State]++;
            }

            for (var state = 0; state < counts.Length; state++)
            {
                yield return new Measurement<int>(counts[state], Cluster(id), new(ClusterTelemetry.StateAttribute, ((PartitionState)state).ToString().ToLowerInvariant()));
            }
        }
    }
}
