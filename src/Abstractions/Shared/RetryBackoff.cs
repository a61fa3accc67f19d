namespace Partitioned.Shared;

/// <summary>Exponential backoff for retry loops: the first delay, doubled after each failure, never above the cap.</summary>
internal struct RetryBackoff
{
    private readonly TimeSpan _first;
    private readonly TimeSpan _max;
    private TimeSpan _next;

    public RetryBackoff(TimeSpan first, TimeSpan max)
    {
        _first = first;
        _max = max;
        _next = first;
    }

    /// <summary>The delay to wait now; the one after it is twice as long (up to the cap).</summary>
    public TimeSpan Next()
    {
        var delay = _next;
        _next = delay * 2 < _max ? delay * 2 : _max;
        return delay;
    }

    /// <summary>Starts over from the first delay, after a success.</summary>
    public void Reset() => _next = _first;
}
