namespace Partitioned.Bench;

public sealed record HelloRequest(string Foo, int Bar);

public sealed record HelloReply(int FooLength);

public sealed record SleepRequest(int Ms);
