using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Partitioned.Server;

/// <summary>
/// A ready-made partition server for prototypes: no subclass, just an initialiser that builds the partition's
/// state, routes, and optionally a function that turns the state into result rows. The state is registered
/// as a service, so routes receive it as a parameter.
/// </summary>
/// <typeparam name="TRow">The type of the partition's rows.</typeparam>
/// <typeparam name="TState">The state built from the rows; routes inject it by type.</typeparam>
/// <typeparam name="TResult">The type of the result rows.</typeparam>
/// <example>
/// <code>
/// new DelegatePartitionServer&lt;int, List&lt;int&gt;, int&gt;(
///     initialize: (rows, context, ct) => rows.ToListAsync(ct),
///     mapRoutes: app => app.MapGet("/get_list", (List&lt;int&gt; rows) => rows));
/// </code>
/// </example>
public sealed class DelegatePartitionServer<TRow, TState, TResult> : PartitionServer<TRow, TResult>
    where TState : class
{
    private readonly Func<IAsyncEnumerable<TRow>, PartitionContext, CancellationToken, ValueTask<TState>> _initialize;
    private readonly Action<IEndpointRouteBuilder> _mapRoutes;
    private readonly Func<TState, IEnumerable<TResult>>? _produceResults;
    private readonly Action<PartitionFeatures, TState>? _configureFeatures;
    private TState? _state;

    /// <summary>Creates the server.</summary>
    /// <param name="initialize">Builds the state from the partition's rows.</param>
    /// <param name="mapRoutes">Maps routes under <c>/app</c>; they may take <typeparamref name="TState"/> as a parameter.</param>
    /// <param name="produceResults">Turns the state into result rows when the server stops; default none.</param>
    /// <param name="configureFeatures">Adds features (such as services) built on the state; default none.</param>
    public DelegatePartitionServer(
        Func<IAsyncEnumerable<TRow>, PartitionContext, CancellationToken, ValueTask<TState>> initialize,
        Action<IEndpointRouteBuilder> mapRoutes,
        Func<TState, IEnumerable<TResult>>? produceResults = null,
        Action<PartitionFeatures, TState>? configureFeatures = null)
    {
        ArgumentNullException.ThrowIfNull(initialize);
        ArgumentNullException.ThrowIfNull(mapRoutes);
        _initialize = initialize;
        _mapRoutes = mapRoutes;
        _produceResults = produceResults;
        _configureFeatures = configureFeatures;
    }

    /// <inheritdoc />
    protected internal override async ValueTask InitializeAsync(IAsyncEnumerable<TRow> rows, CancellationToken cancellationToken) =>
        _state = await _initialize(rows, Context, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException("The initialize delegate returned null; it must return the partition's state.");

    /// <inheritdoc />
    protected internal override void ConfigureFeatures(PartitionFeatures features) => _configureFeatures?.Invoke(features, State);

    /// <inheritdoc />
    protected internal override void ConfigureServices(IServiceCollection services) => services.AddSingleton(State);

    /// <inheritdoc />
    protected internal override void MapRoutes(IEndpointRouteBuilder app) => _mapRoutes(app);

    /// <inheritdoc />
    protected internal override IAsyncEnumerable<TResult> ProduceResultsAsync(CancellationToken cancellationToken) =>
        _produceResults is null ? AsyncEnumerable.Empty<TResult>() : _produceResults(State).ToAsyncEnumerable();

    private TState State => _state ?? throw new InvalidOperationException("The state exists only after initialisation.");
}
