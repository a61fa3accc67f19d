using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Partitioned.Serving;

namespace Partitioned.Tests.Serving;

/// <summary>Listens to the serving meter and sums each instrument per service (tests filter by a service name no other test uses at the same time).</summary>
internal sealed class ServingMetricsCapture : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<(string Instrument, string Service, int Status), long> _sums = new();

    public ServingMetricsCapture()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == ServingTelemetry.MeterName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument.Name, value, tags));
        _listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => Record(instrument.Name, value, tags));
        _listener.Start();
    }

    public long Sum(string instrument, string service, int? status = null) =>
        _sums.Where(kv => kv.Key.Instrument == instrument && kv.Key.Service == service && (status is null || kv.Key.Status == status)).Sum(kv => kv.Value);

    public void Dispose() => _listener.Dispose();

    private void Record(string instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var service = string.Empty;
        var status = 0;
        foreach (var tag in tags)
        {
            if (tag.Key == ServingTelemetry.ServiceAttribute)
            {
                service = (string)tag.Value!;
            }
            else if (tag.Key == ServingTelemetry.StatusCodeAttribute)
            {
                status = (int)tag.Value!;
            }
        }

        _sums.AddOrUpdate((instrument, service, status), value, (_, sum) => sum + value);
    }
}
