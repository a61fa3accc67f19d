namespace Partitioned.Protocol;

/// <summary>
/// Body of <c>POST /v1/register</c>: a partition attempt announces the address its server is listening on.
/// Sent only after the server listens.
/// </summary>
/// <param name="Partition">The partition index, from 0 to the partition count minus 1.</param>
/// <param name="Attempt">The attempt number, 0 for the first launch; a re-launch uses a higher number.</param>
/// <param name="Endpoint">The absolute base address the server bound, for example <c>http://127.0.0.1:41234</c>.</param>
/// <param name="Node">Optional: the node (machine) the server runs on, for the directory and for placement decisions.</param>
public sealed record RegistrationRequest(int Partition, int Attempt, string Endpoint, string? Node = null)
{
    /// <summary>
    /// Optional: labels the attempt announces (at most 32; keys of 1 to 128 ASCII letters, digits, '-', '_', '.' and
    /// '/'; values up to 4,096 characters without control characters). The directory shows them on the replica.
    /// </summary>
    public IReadOnlyDictionary<string, string>? Labels { get; init; }

    /// <summary>
    /// Optional: the executor (a worker process hosting several partition attempts) this attempt runs in: 1 to 64 ASCII
    /// letters, digits, '.', '_' or '-', unique per cluster run. The coordinator then checks the executor's health once for
    /// all its members (their health answers list each other), not every member on its own.
    /// </summary>
    public string? Executor { get; init; }
}
