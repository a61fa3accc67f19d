namespace Partitioned.Testing;

public sealed record HelloRequest(string Foo, int Bar);

public sealed record HelloReply(int FooLength);

public sealed record SlowRequest(int Ms);

public sealed record WhoReply(int Partition, int Attempt);

public sealed record VersionReply(string Version, int Partition, int Replica, int Attempt, int ProcessId);

public sealed record BatchReply(int FooLength, int BatchSize);

public sealed record FaultRequest(string Mode);

public sealed record RouteRequest(int Target, string Text);

public sealed record RouteReply(int ServedBy, string Text);

/// <summary>A request of the "work" services: a key the test makes unique, how long the handler works, and a replica that stalls instead.</summary>
public sealed record WorkRequest(string Key, int Ms, int StallReplica = -1, int StallMs = 60_000);

/// <summary>Who ran a "work" request.</summary>
public sealed record WorkReply(string Key, int Partition, int Replica, int Attempt);
