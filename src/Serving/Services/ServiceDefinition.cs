namespace Partitioned.Serving;

/// <summary>Creates <see cref="ServiceDefinition{TRequest, TReply}"/>s.</summary>
/// <example>
/// <code>
/// var hello = ServiceDefinition.Create("hello", (HelloRequest r) => new HelloReply(r.Foo.Length));
/// var score = ServiceDefinition.CreateBatch("score", (IReadOnlyList&lt;Flower&gt; batch) => model.Predict(batch),
///     new ServiceOptions { Mode = ProcessingMode.MicroBatch, MaxBatchSize = 128 });
/// </code>
/// </example>
public static class ServiceDefinition
{
    /// <summary>A service whose handler maps one request to one reply.</summary>
    public static ServiceDefinition<TRequest, TReply> Create<TRequest, TReply>(string name, Func<TRequest, TReply> handler, ServiceOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return new ServiceDefinition<TRequest, TReply>(name, new DelegateHandler<TRequest, TReply>((request, _) => ValueTask.FromResult(handler(request))), options);
    }

    /// <summary>A service whose asynchronous handler maps one request to one reply.</summary>
    public static ServiceDefinition<TRequest, TReply> Create<TRequest, TReply>(string name, Func<TRequest, CancellationToken, ValueTask<TReply>> handler, ServiceOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return new ServiceDefinition<TRequest, TReply>(name, new DelegateHandler<TRequest, TReply>(handler), options);
    }

    /// <summary>A service whose handler maps a batch of requests to replies in the same order (vectorised work, micro-batch mode).</summary>
    public static ServiceDefinition<TRequest, TReply> CreateBatch<TRequest, TReply>(string name, Func<IReadOnlyList<TRequest>, IReadOnlyList<TReply>> handler, ServiceOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return new ServiceDefinition<TRequest, TReply>(name, new BatchDelegateHandler<TRequest, TReply>(handler), options);
    }

    /// <summary>A service with a handler that answers each request itself (reply early, from anywhere, or forward it).</summary>
    public static ServiceDefinition<TRequest, TReply> Create<TRequest, TReply>(string name, IServiceHandler<TRequest, TReply> handler, ServiceOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return new ServiceDefinition<TRequest, TReply>(name, handler, options);
    }
}
