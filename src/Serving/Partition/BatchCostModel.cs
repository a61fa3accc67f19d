namespace Partitioned.Serving;

/// <summary>
/// What a batch of n requests costs, fitted online as a + b x n from the batches a service ran: least squares over
/// exponentially weighted sums (each batch counts <see cref="Decay"/> times less per later batch, so the fit follows a
/// model whose cost drifts, over roughly the last 50 batches). Thread-safe: batches report from the thread pool while
/// the batch loop predicts.
/// </summary>
/// <remarks>
/// Robust in three ways. An outlier (a GC pause, a descheduled thread) counts with a Huber weight: a batch whose time
/// misses the fit by more than 3 typical misses weighs 3 typical misses over its miss, so one 100x batch moves the fit by
/// a few percent, not 100x. Before two batch sizes have been seen, a and b cannot be told apart: the model then charges
/// the whole mean cost per request (a = 0, b = mean time / mean size), which over-predicts larger batches and so errs
/// towards closing early. And a fit with a negative term (noise on nearly equal sizes) falls back to the same form.
/// The prediction adds the typical miss (the weighted mean absolute residual) to the fit, so a noisy handler gets a
/// margin and an exact one none.
/// </remarks>
internal sealed class BatchCostModel
{
    /// <summary>How much an observation's weight shrinks per later one.</summary>
    public const double Decay = 0.98;

    private const double HuberLimit = 3;

    private readonly Lock _gate = new();
    private double _w, _wx, _wxx, _wy, _wxy;
    private double _miss;
    private int _observed;
    private double _a, _b;

    /// <summary>True once a batch was observed; before that nothing is predicted and the batch loop does not wait.</summary>
    public bool HasData
    {
        get
        {
            lock (_gate)
            {
                return _observed > 0;
            }
        }
    }

    /// <summary>The fitted cost of running a batch at all (a), in seconds: what one more request saves by joining a batch instead of running alone.</summary>
    public double FixedCost
    {
        get
        {
            lock (_gate)
            {
                return _a;
            }
        }
    }

    /// <summary>The fitted cost per request (b), in seconds.</summary>
    public double CostPerRequest
    {
        get
        {
            lock (_gate)
            {
                return _b;
            }
        }
    }

    /// <summary>The predicted time of a batch of <paramref name="size"/> requests, in seconds: the fit plus the typical miss; 0 before any batch was observed.</summary>
    public double Predict(int size)
    {
        lock (_gate)
        {
            return _observed == 0 ? 0 : _a + _b * size + _miss;
        }
    }

    /// <summary>A batch of <paramref name="size"/> requests took <paramref name="seconds"/> (dispatch to the last answer).</summary>
    public void Observe(int size, double seconds)
    {
        if (size < 1 || !double.IsFinite(seconds) || seconds < 0)
        {
            return;
        }

        lock (_gate)
        {
            var weight = 1.0;
            if (_observed > 0)
            {
                var fitted = _a + (_b * size);
                var miss = Math.Abs(seconds - fitted);

                // A miss far beyond the typical one is mostly noise: count it with a Huber weight. The typical miss is
                // floored at 5% of the fit, so a handler that was exact so far does not take its first hiccup at full weight.
                var scale = HuberLimit * Math.Max(_miss, 0.05 * fitted);
                if (miss > scale && scale > 0)
                {
                    weight = scale / miss;
                }

                _miss = (Decay * _miss) + ((1 - Decay) * Math.Min(miss, scale > 0 ? scale : miss));
            }

            _w = (Decay * _w) + weight;
            _wx = (Decay * _wx) + (weight * size);
            _wxx = (Decay * _wxx) + (weight * size * size);
            _wy = (Decay * _wy) + (weight * seconds);
            _wxy = (Decay * _wxy) + (weight * size * seconds);
            _observed++;
            Fit();
        }
    }

    private void Fit()
    {
        var spread = (_w * _wxx) - (_wx * _wx);

        // Sizes nearly all equal: a and b cannot be told apart.
        if (spread > 1e-9 * _w * _wxx)
        {
            var b = ((_w * _wxy) - (_wx * _wy)) / spread;
            var a = (_wy - (b * _wx)) / _w;
            if (a >= 0 && b >= 0)
            {
                (_a, _b) = (a, b);
                return;
            }
        }

        (_a, _b) = (0, _wx > 0 ? _wy / _wx : 0);
    }
}
