namespace Partitioned.Testing;

/// <summary>Body of <c>POST /app/sum</c>.</summary>
public sealed record SumRequest(int[] Values);

/// <summary>Reply of <c>POST /app/sum</c>.</summary>
public sealed record SumReply(int Sum);
