using System.Collections.Frozen;
using System.Diagnostics.Metrics;
using Partitioned.Directories;
using Partitioned.Shared;

namespace Partitioned.Clustering;

/// <summary>
/// Per-service request rate, error rate, latency percentiles and queued requests, from the serving meter of this
/// process (<c>Partitioned.Serving</c>): what in-process partitions, the gateway and the head node's ingress record.
/// Worker processes record in their own process, where their metrics pipeline reads them.
/// </summary>
/// <remarks>
/// Numbers are kept only for services the cluster's replicas announce (<see cref="AnnouncedServices"/>): a name a
/// caller made up never gets an entry, and a service no replica announces any more (a rolling update removed it, the
/// cluster stopped) is dropped at the next read. So the number of entries is bounded by the services that exist.
/// </remarks>
internal sealed class ServingStats : IDisposable
{
    private const string ServingMeter = "Partitioned.Serving";
    private const int WindowSeconds = 10;
    private const int Samples = 2048;

    private readonly MeterListener _listener = new();
    private readonly TimeProvider _time;
    private readonly Func<DirectorySnapshot?> _directory;
    private readonly AnnouncedServices _announced = new(servingOnly: false);
    private readonly Dictionary<string, Service> _services = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <param name="time">The clock of the rates.</param>
    /// <param name="directory">The cluster's current directory, or null while it does not run.</param>
    public ServingStats(TimeProvider time, Func<DirectorySnapshot?> directory)
    {
        _time = time;
        _directory = directory;
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

    /// <summary>How many services have numbers now (for tests).</summary>
    internal int Count
    {
        get
        {
            lock (_gate)
            {
                return _services.Count;
            }
        }
    }

    /// <summary>Every service the cluster's replicas announce that has numbers, by name.</summary>
    public IReadOnlyList<ServiceStatsView> Read()
    {
        var now = Second();
        var known = Known();
        List<(string Name, Service.Reading Reading)> readings;
        lock (_gate)
        {
            foreach (var gone in _services.Keys.Where(name => !known.Contains(name)).ToList())
            {
                _services.Remove(gone);
            }

            readings = [.. _services.Select(s => (s.Key, s.Value.Read(now)))];
        }

        // Sorting (names, and each service's latency samples) happens outside the lock every reply takes.
        return [.. readings.OrderBy(static r => r.Name, StringComparer.Ordinal).Select(static r => r.Reading.View(r.Name))];
    }

    public void Dispose() => _listener.Dispose();

    private FrozenSet<string> Known() => _directory() is { } snapshot ? _announced.In(snapshot) : FrozenSet<string>.Empty;

    private void OnCount(string instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var (name, status) = Read(tags);
        if (name is null || !Known().Contains(name))
        {
            return;
        }

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
        if (name is null || !Known().Contains(name))
        {
            return;
        }

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

    private static (string? Service, int Status) Read(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var (service, status) = ((string?)null, 0);
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

        /// <summary>Totals over the last full <see cref="WindowSeconds"/> seconds (the current one is still counting), and a copy of the samples.</summary>
        public Reading Read(long now)
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

            return new Reading(replies, errors, _durations.AsSpan(0, _durationCount).ToArray(), Queued);
        }

        /// <summary>What <see cref="Read(long)"/> copied, turned into a view without the lock.</summary>
        public readonly record struct Reading(long Replies, long Errors, double[] Durations, long Queued)
        {
            public ServiceStatsView View(string name)
            {
                Array.Sort(Durations);

                // A service dropped and seen again can see a queue's decrements without its increments.
                return new ServiceStatsView(name, (double)Replies / WindowSeconds, (double)Errors / WindowSeconds,
                    Percentile(Durations, 0.50), Percentile(Durations, 0.95), Percentile(Durations, 0.99), Math.Max(0, Queued));
            }
        }

        private static double? Percentile(double[] sorted, double fraction) =>
            sorted.Length == 0 ? null : Math.Round(sorted[(int)Math.Min(sorted.Length - 1, Math.Ceiling(fraction * sorted.Length) - 1)] * 1000, 3);
    }
}
