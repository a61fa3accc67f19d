using Microsoft.Extensions.Hosting;

namespace Partitioned.Shared;

/// <summary>
/// A host lifetime that ignores process signals. The library's Kestrel servers (coordinator, partitions in the
/// driver process, gateway) are stopped by their owner, never by Ctrl+C or SIGTERM reaching the process:
/// otherwise a signal would stop in-process partitions behind the cluster's back, before it could drain them.
/// </summary>
internal sealed class PassiveHostLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
