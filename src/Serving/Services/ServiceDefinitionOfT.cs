using Microsoft.Extensions.Options;
using Partitioned.Datasets;
using Partitioned.Shared;

namespace Partitioned.Serving;

/// <summary>
/// A named service: request and reply types, the handler, and how requests are queued and processed. Add it to
/// a partition server with <c>features.AddService(definition)</c>; run the very same handler over a whole
/// dataset offline with <see cref="RunOfflineAsync"/>.
/// </summary>
/// <typeparam name="TRequest">The request body type (JSON).</typeparam>
/// <typeparam name="TReply">The reply body type (JSON).</typeparam>
public sealed class ServiceDefinition<TRequest, TReply>
{
    internal ServiceDefinition(string name, IServiceHandler<TRequest, TReply> handler, ServiceOptions? options)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (SafeName.Problem(name) is { } problem)
        {
            throw new ArgumentException($"Service name '{SafeName.Describe(name)}' {problem}: a service name is {SafeName.Rule}, since it is part of the URL /serve/{{name}}.", nameof(name));
        }

        Options = options ?? new ServiceOptions();
        var validation = new OptionsValidation(nameof(ServiceOptions));
        validation.Add(Options.Validate());
        validation.ThrowIfInvalid();
        Name = name;
        Handler = handler;
    }

    /// <summary>The service's name; clients call <c>POST /serve/{name}</c>.</summary>
    public string Name { get; }

    /// <summary>The handler.</summary>
    public IServiceHandler<TRequest, TReply> Handler { get; }

    /// <summary>Queueing, batching, deadline and parsing settings.</summary>
    public ServiceOptions Options { get; }

    /// <summary>
    /// Runs the service's handler over every row of <paramref name="requests"/> (batch processing, no server),
    /// in batches of <see cref="ServiceOptions.MaxBatchSize"/>, partitions in parallel. The same code that
    /// serves live requests scores the whole dataset.
    /// </summary>
    /// <returns>One reply per request, in the same partitions and order.</returns>
    /// <exception cref="ServiceOfflineException">The handler failed a request, or left one without a reply.</exception>
    public async Task<PartitionedDataset<TReply>> RunOfflineAsync(PartitionedDataset<TRequest> requests, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(requests);
        var partitions = await Task.WhenAll(Enumerable.Range(0, requests.PartitionCount)
            .Select(partition => Task.Run(() => RunPartitionOfflineAsync(requests, partition, cancellationToken), cancellationToken))).ConfigureAwait(false);
        return PartitionedDataset.FromPartitions(partitions);
    }

    private async Task<IReadOnlyList<TReply>> RunPartitionOfflineAsync(PartitionedDataset<TRequest> requests, int partition, CancellationToken cancellationToken)
    {
        var runtime = new OfflineRuntime<TRequest, TReply>();
        var replies = new List<TReply>();
        var batch = new List<ServiceRequest<TRequest, TReply>>(Options.MaxBatchSize);
        var sinks = new List<OfflineSink<TReply>>(Options.MaxBatchSize);
        var row = 0;
        await foreach (var request in requests.ReadPartitionAsync(partition, cancellationToken).ConfigureAwait(false))
        {
            var sink = new OfflineSink<TReply>();
            sinks.Add(sink);
            batch.Add(new ServiceRequest<TRequest, TReply>($"offline.{partition}.{row++}", request, sink, runtime, 0));
            if (batch.Count == Options.MaxBatchSize)
            {
                await FlushAsync().ConfigureAwait(false);
            }
        }

        await FlushAsync().ConfigureAwait(false);
        return replies;

        async Task FlushAsync()
        {
            if (batch.Count == 0)
            {
                return;
            }

            try
            {
                await Handler.HandleAsync(batch, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                throw new ServiceOfflineException(Name, batch[0].Id, $"the handler threw {ex.GetType().Name} on the batch starting with it: {ex.Message}", ex);
            }

            for (var i = 0; i < batch.Count; i++)
            {
                var outcome = sinks[i].Outcome ?? throw new ServiceOfflineException(Name, batch[i].Id, "the handler returned without replying to it");
                if (outcome.IsError)
                {
                    throw new ServiceOfflineException(Name, batch[i].Id, $"the handler failed it with {outcome.Status}: {outcome.Detail}");
                }

                replies.Add(outcome.Value!);
            }

            batch.Clear();
            sinks.Clear();
        }
    }

    /// <summary>Returns the name.</summary>
    public override string ToString() => Name;
}
