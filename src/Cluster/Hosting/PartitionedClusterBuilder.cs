using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Partitioned.Clustering;

/// <summary>
/// Configures a cluster registered with <c>services.AddPartitionedCluster(...)</c>: where its settings come from
/// (a configuration section, code) before the host starts it.
/// </summary>
/// <typeparam name="TRow">The dataset's row type.</typeparam>
/// <typeparam name="TResult">The result row type.</typeparam>
public sealed class PartitionedClusterBuilder<TRow, TResult>
{
    private readonly List<Func<IServiceProvider, ClusterOptions, ClusterOptions>> _steps = [];

    /// <summary>Creates a builder (the <c>AddPartitioned...</c> registrations do; an integration of another package may too).</summary>
    /// <exception cref="InvalidOperationException">A cluster of these row and result types is already registered.</exception>
    public PartitionedClusterBuilder(IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (services.Any(static d => d.ServiceType == typeof(Cluster<TRow, TResult>)))
        {
            throw new InvalidOperationException($"A cluster of {typeof(TRow).Name} rows and {typeof(TResult).Name} results is already registered; register one per row and result type pair.");
        }

        Services = services;
        services.TryAddSingleton(TimeProvider.System);
    }

    /// <summary>The host's services.</summary>
    public IServiceCollection Services { get; }

    /// <summary>
    /// Reads settings from a configuration section (default none): <c>MaxAttempts</c>, <c>StartTimeout</c>
    /// (<c>00:01:00</c>), <c>CoordinatorBindAddress</c>, <c>Server:BindAddress</c>, <c>Server:Ports</c> (<c>5000-5010</c>),
    /// <c>Runner</c> (<c>in-process</c>, <c>process</c> or <c>slurm</c>, with its options under <c>Process</c> or
    /// <c>Slurm</c>)... A key that names no setting fails the start, naming it.
    /// </summary>
    /// <param name="sectionPath">The section, for example <c>"PartitionedCluster"</c>.</param>
    public PartitionedClusterBuilder<TRow, TResult> BindConfiguration(string sectionPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(sectionPath);
        _steps.Add((services, options) => ClusterConfiguration.Apply(
            services.GetRequiredService<Microsoft.Extensions.Configuration.IConfiguration>().GetSection(sectionPath), options));
        return this;
    }

    /// <summary>Adjusts the settings in code (after any configuration read before this call): <c>o => o with { MaxAttempts = 2 }</c>.</summary>
    public PartitionedClusterBuilder<TRow, TResult> Configure(Func<ClusterOptions, ClusterOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        _steps.Add((_, options) => configure(options));
        return this;
    }

    /// <summary>Adjusts the settings in code with the host's services at hand.</summary>
    public PartitionedClusterBuilder<TRow, TResult> Configure(Func<IServiceProvider, ClusterOptions, ClusterOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        _steps.Add(configure);
        return this;
    }

    /// <summary>
    /// The settings: the defaults, then every step in order, then the host's logger factory and clock where none was
    /// set. They are validated when the cluster starts, with every problem in one error.
    /// </summary>
    /// <returns>The composed settings.</returns>
    public ClusterOptions CreateOptions(IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = new ClusterOptions();
        foreach (var step in _steps)
        {
            options = step(services, options) ?? throw new InvalidOperationException("A Configure step of AddPartitionedCluster returned null; return the options (for example o => o with { ... }).");
        }

        return options with
        {
            LoggerFactory = options.LoggerFactory ?? services.GetService<Microsoft.Extensions.Logging.ILoggerFactory>(),
            TimeProvider = options.TimeProvider == TimeProvider.System ? services.GetService<TimeProvider>() ?? TimeProvider.System : options.TimeProvider,
        };
    }
}
