namespace Partitioned.Server;

/// <summary>How a worker learns that its driver is gone, or no longer wants its attempt: then it abandons the attempt and exits.</summary>
internal interface IDriverLink : IDisposable
{
    /// <summary>Fires when the driver is gone or the attempt is no longer wanted.</summary>
    CancellationToken Gone { get; }

    /// <summary>Why <see cref="Gone"/> fired, or null.</summary>
    string? Reason { get; }
}
