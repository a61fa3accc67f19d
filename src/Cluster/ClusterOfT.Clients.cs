using System.Text.Json;
using Partitioned.Protocol;
using Partitioned.Routing;
using Partitioned.Shared;

namespace Partitioned.Clustering;

public sealed partial class Cluster<TRow, TResult>
{
    /// <summary>
    /// The HTTP client of one partition, with its base address at the partition's <c>/app/</c>: so
    /// <c>GetClient(0).GetAsync("items")</c> calls <c>GET /app/items</c> on partition 0. The client follows the
    /// partition when a re-launch moves it, and throws <see cref="PartitionUnavailableException"/> while it has no
    /// live endpoint. Do not dispose it; it belongs to the current run and is disposed when the cluster stops.
    /// </summary>
    /// <exception cref="InvalidOperationException">The cluster is not running.</exception>
    public HttpClient GetClient(int partition) => Run.Clients.Get(partition);

    /// <summary>
    /// Queries every partition concurrently and gathers the answers in partition order. A partition that fails
    /// or is slower than <see cref="ScatterOptions.PerPartitionTimeout"/> gives an error entry; the call itself
    /// fails only when <see cref="ScatterOptions.RequireAll"/> is set.
    /// </summary>
    /// <param name="query">Queries one partition through its client.</param>
    /// <param name="options">Timeout, partitions and failure policy.</param>
    /// <param name="cancellationToken">Cancels the whole query.</param>
    /// <exception cref="ScatterFailedException">A partition failed and <see cref="ScatterOptions.RequireAll"/> is set.</exception>
    public Task<ScatterResult<T>> ScatterAsync<T>(Func<int, HttpClient, CancellationToken, Task<T>> query, ScatterOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        return Run.Clients.ScatterAsync(query, options ?? new ScatterOptions(), cancellationToken);
    }

    /// <summary>
    /// <c>GET</c>s <paramref name="relativePath"/> (relative to <c>/app/</c>) on every partition and reads each
    /// answer as JSON; see <see cref="ScatterAsync{T}(Func{int, HttpClient, CancellationToken, Task{T}}, ScatterOptions?, CancellationToken)"/>.
    /// </summary>
    public Task<ScatterResult<T>> ScatterGetAsync<T>(string relativePath, ScatterOptions? options = null, JsonSerializerOptions? jsonOptions = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(relativePath);
        return Run.Clients.ScatterGetAsync<T>(relativePath, options ?? new ScatterOptions(), jsonOptions ?? ProtocolJson.Options, cancellationToken);
    }
}
