namespace Partitioned.Routing;

/// <summary>A scatter-gather query with <see cref="ScatterOptions.RequireAll"/> had partitions that failed. The message names each and why.</summary>
public sealed class ScatterFailedException : PartitionedException
{
    /// <summary>Creates the exception.</summary>
    public ScatterFailedException(IReadOnlyDictionary<int, Exception> failures, int queried)
        : base(string.Join(Environment.NewLine, failures.OrderBy(static f => f.Key).Select(static f => $"  partition {f.Key}: {f.Value.Message}")
            .Prepend($"{failures.Count} of {queried} partitions failed the query:")))
    {
        Failures = failures;
    }

    /// <summary>Each failed partition and its error.</summary>
    public IReadOnlyDictionary<int, Exception> Failures { get; }
}
