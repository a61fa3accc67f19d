using System.Diagnostics.Metrics;

namespace Partitioned.Clustering;

/// <summary>
/// Per-service request rate, error rate, latency percentiles and queued requests, from the serving meter of this
/// process (<c>Partitioned.Serving</c>): what in-process partitions, the gateway and the head node's ingress record.
/// Worker processes record in their own process, where their metrics pipeline reads them.
/// </summary>
internal sealed class ServingStats : IDisposable
{
    private const string ServingMeter = "Partitioned.Serving";
    private const int WindowSeconds = 10;
    private const int Samples = 2048;

    private readonly MeterListener _listener = new();
    private readonly TimeProvider _time;
    private readonly Dictionary<string, Service> _services = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public ServingStats(TimeProvider time)
    {
        _time = time;
        _listener.InstrumentPublished = static (instrument, listener) =>
        {
            if (instrument.Meter.Name == ServingMeter && instrument.Name is "partitioned.serving.replies" or "partitioned.serving.request.duration" or "partitioned.serving.queued_requests")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => OnCount(instrument.Name, value, tags));
        _listener.SetMeasurementEventCallback<double>((_, value, tags, _) => OnDuration(value, tags));
        _listener.Start();
    }

    /// <summary>Every service seen so far, by name.</summary>
    public IReadOnlyList<ServiceStatsView> Read()
    {
        var now = Second();
        lock (_gate)
        {
            return [.. _services.OrderBy(static s => s.Key, StringComparer.Ordinal).Select(s => s.Value.View(s.Key, now))];
        }
    }

    public void Dispose() => _listener.Dispose();

    private void OnCount(string instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var (name, status) = Read(tags);
        lock (_gate)
        {
            var service = For(name);
            if (instrument == "partitioned.serving.queued_requests")
            {
                service.Queued += value;
            }
            else
            {
                service.Count(Second(), value, isError: status >= 400);
            }
        }
    }

    private void OnDuration(double seconds, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var (name, _) = Read(tags);
        lock (_gate)
        {
            For(name).AddDuration(seconds);
        }
    }

    private Service For(string name)
    {
        if (!_services.TryGetValue(name, out var service))
        {
            service = new Service();
            _services[name] = service;
        }

        return service;
    }

    private long Second() => _time.GetUtcNow().ToUnixTimeSeconds();

    private static (string Service, int Status) Read(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var (service, status) = ("unknown", 0);
        foreach (var tag in tags)
        {
            if (tag.Key == "partitioned.service.name" && tag.Value is string name)
            {
                service = name;
            }
            else if (tag.Key == "http.response.status_code" && tag.Value is int code)
            {
                status = code;
            }
        }

        return (service, status);
    }

    /// <summary>One service's numbers; guarded by the owner's lock.</summary>
    private sealed class Service
    {
        private readonly long[] _seconds = new long[WindowSeconds + 1];
        private readonly long[] _replies = new long[WindowSeconds + 1];
        private readonly long[] _errors = new long[WindowSeconds + 1];
        private readonly double[] _durations = new double[Samples];
        private int _durationCount;
        private int _next;

        public long Queued { get; set; }

        public void Count(long second, long value, bool isError)
        {
            var slot = (int)(second % _seconds.Length);
            if (_seconds[slot] != second)
            {
                (_seconds[slot], _replies[slot], _errors[slot]) = (second, 0, 0);
            }

            _replies[slot] += value;
            if (isError)
            {
                _errors[slot] += value;
            }
        }

        public void AddDuration(double seconds)
        {
            _durations[_next] = seconds;
            _next = (_next + 1) % _durations.Length;
            _durationCount = Math.Min(_durationCount + 1, _durations.Length);
        }

        /// <summary>Rates over the last full <see cref="WindowSeconds"/> seconds (the current one is still counting).</summary>
        public ServiceStatsView View(string name, long now)
        {
            long replies = 0, errors = 0;
            for (var slot = 0; slot < _seconds.Length; slot++)
            {
                if (_seconds[slot] >= now - WindowSeconds && _seconds[slot] < now)
                {
                    replies += _replies[slot];
                    errors += _errors[slot];
                }
            }

            var recent = _durations.AsSpan(0, _durationCount).ToArray();
            Array.Sort(recent);
            return new ServiceStatsView(name, (double)replies / WindowSeconds, (double)errors / WindowSeconds,
                Percentile(recent, 0.50), Percentile(recent, 0.95), Percentile(recent, 0.99), Queued);
        }

        private static double? Percentile(double[] sorted, double fraction) =>
            sorted.Length == 0 ? null : Math.Round(sorted[(int)Math.Min(sorted.Length - 1, Math.Ceiling(fraction * sorted.Length) - 1)] * 1000, 3);
    }
}
