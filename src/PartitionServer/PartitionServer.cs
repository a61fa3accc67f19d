using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Partitioned.Server;

/// <summary>
/// The server that runs on one partition of a dataset. Subclass it: build state from the partition's rows in
/// <see cref="InitializeAsync"/>, map HTTP routes in <see cref="MapRoutes"/> (served under <c>/app</c>), and
/// optionally hand back result rows from <see cref="ProduceResultsAsync"/> when the server stops.
/// </summary>
/// <typeparam name="TRow">The type of the partition's rows.</typeparam>
/// <typeparam name="TResult">The type of the result rows the server produces when it stops.</typeparam>
/// <remarks>
/// Every attempt of a partition gets a fresh instance. The lifecycle, in order: <see cref="Context"/> is set,
/// <see cref="InitializeAsync"/> reads the rows, <see cref="ConfigureFeatures"/> adds features and they start,
/// <see cref="ConfigureServices"/> and <see cref="MapRoutes"/> configure the web application, Kestrel listens, the server registers its bound address with the
/// coordinator, it serves until <c>POST /control/shutdown</c>, drains in-flight requests, stops its features, and finally
/// <see cref="ProduceResultsAsync"/> is called. If the instance implements <see cref="IAsyncDisposable"/>
/// or <see cref="IDisposable"/>, it is disposed last.
/// </remarks>
public abstract class PartitionServer<TRow, TResult>
{
    private PartitionContext? _context;

    /// <summary>Which partition and attempt this is, and the cluster it belongs to. Set before <see cref="InitializeAsync"/>.</summary>
    /// <exception cref="InvalidOperationException">Read before the server was started.</exception>
    protected PartitionContext Context => _context
        ?? throw new InvalidOperationException("Context is set when the server starts, before InitializeAsync; it cannot be read in the constructor.");

    /// <summary>Builds the server's state from its partition's rows. An exception fails this attempt; the runner re-launches it.</summary>
    /// <param name="rows">The partition's rows, streamed; enumerate them once.</param>
    /// <param name="cancellationToken">Fires when the attempt is abandoned.</param>
    protected internal abstract ValueTask InitializeAsync(IAsyncEnumerable<TRow> rows, CancellationToken cancellationToken);

    /// <summary>
    /// Maps the server's routes. <paramref name="app"/> is a group mounted at <c>/app</c>, so
    /// <c>app.MapGet("/items", ...)</c> answers <c>GET /app/items</c>. Minimal-API binding, DI and filters all work.
    /// </summary>
    /// <remarks>Called once per listen attempt: with a port range, again for each port tried; keep it free of side effects.</remarks>
    protected internal abstract void MapRoutes(IEndpointRouteBuilder app);

    /// <summary>Adds services the routes inject. The server instance itself is already registered under its own type.</summary>
    protected internal virtual void ConfigureServices(IServiceCollection services)
    {
    }

    /// <summary>
    /// Adds features that run beside the routes, such as services of the serving layer
    /// (<c>features.AddService(...)</c>). Called once, after <see cref="InitializeAsync"/>, so features can use the state it built.
    /// </summary>
    protected internal virtual void ConfigureFeatures(PartitionFeatures features)
    {
    }

    /// <summary>Produces the result rows after the server stopped serving. Default: none.</summary>
    protected internal virtual IAsyncEnumerable<TResult> ProduceResultsAsync(CancellationToken cancellationToken) => AsyncEnumerable.Empty<TResult>();

    internal void Attach(PartitionContext context) => _context = context;
}
