namespace ServingHelloWorld;

/// <summary>The request: both fields are required; a missing one or a wrong type is a 400 that names it.</summary>
public sealed record HelloRequest(string Foo, int Bar);

/// <summary>The reply.</summary>
public sealed record HelloReply(int FooLength);
