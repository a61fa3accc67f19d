namespace Partitioned.Routing;

/// <summary>
/// Thrown by a try of a hedged request that got an answer after the other try's answer was already taken: not a
/// failure of its replica (which answered), so it is neither suspected nor retried.
/// </summary>
internal sealed class HedgeLostException() : OperationCanceledException("The other replica of a hedged request answered first.");
