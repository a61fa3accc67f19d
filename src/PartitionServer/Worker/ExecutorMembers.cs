using System.Collections.Concurrent;
using Partitioned.Protocol;

namespace Partitioned.Server;

/// <summary>
/// The attempts one executor hosts now, and each one's state: every member's health answer lists them all, so the
/// coordinator checks one member per executor and learns the state of every other.
/// </summary>
internal sealed class ExecutorMembers(string id)
{
    private readonly ConcurrentDictionary<(int Partition, int Attempt), Func<string>> _members = new();

    /// <summary>The executor's id, sent with every member's registration.</summary>
    public string Id { get; } = id;

    /// <summary>Adds a member (its state read when asked) until the returned handle is disposed.</summary>
    public IDisposable Join(int partition, int attempt, Func<string> state)
    {
        _members[(partition, attempt)] = state;
        return new Membership(this, (partition, attempt));
    }

    /// <summary>Every member and its state now, by partition.</summary>
    public IReadOnlyList<MemberHealth> Snapshot() =>
        [.. _members.Select(static m => new MemberHealth(m.Key.Partition, m.Key.Attempt, m.Value())).OrderBy(static m => m.Partition).ThenBy(static m => m.Attempt)];

    private sealed class Membership(ExecutorMembers members, (int, int) key) : IDisposable
    {
        public void Dispose() => members._members.TryRemove(key, out _);
    }
}
