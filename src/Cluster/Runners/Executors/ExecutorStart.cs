using Microsoft.Extensions.Logging;

namespace Partitioned.Clustering;

/// <summary>An executor to start, and what the attempt that made it start says about where it should run.</summary>
/// <param name="Id">The executor's id, unique in the cluster run (<c>e3</c>).</param>
/// <param name="ClusterId">The cluster run.</param>
/// <param name="Sizing">Its slots and resources.</param>
/// <param name="PreviousAttempts">How the first attempt's partition ended before (a node where it died is avoided).</param>
/// <param name="SiblingNodes">The nodes the first attempt's sibling replicas run on (avoided while others exist).</param>
/// <param name="Logger">Where the engine logs about it.</param>
/// <param name="Placement">Told the node it runs on, as soon as the engine knows it.</param>
internal sealed record ExecutorStart(string Id, string ClusterId, ExecutorSizing Sizing, IReadOnlyList<AttemptOutcome> PreviousAttempts, IReadOnlyList<string> SiblingNodes, ILogger Logger, IPlacementSink Placement);
