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
