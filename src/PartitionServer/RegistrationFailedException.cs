
namespace Partitioned.Server;

/// <summary>
/// A partition server could not register with the coordinator: the coordinator refused (see
/// <see cref="StatusCode"/>), or it stayed unreachable until the registration timeout.
/// </summary>
public sealed class RegistrationFailedException : PartitionedException
{
    /// <summary>Creates the exception.</summary>
    public RegistrationFailedException(string message, int? statusCode, Exception? innerException = null)
        : base(message, innerException)
    {
        StatusCode = statusCode;
    }

    /// <summary>The coordinator's HTTP status when it refused (400 unknown partition, 401/403 token, 409 stale attempt); null after a timeout.</summary>
    public int? StatusCode { get; }
}
