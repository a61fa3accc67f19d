namespace Partitioned.Serving;

/// <summary>Where clients send requests and how they reach partitions.</summary>
public enum ServingMode
{
    /// <summary>Every partition serves <c>POST /serve/{name}</c> itself; a gateway on the driver gives clients one
    /// address and balances load; each request is answered on the connection it came in on.</summary>
    Distributed,

    /// <summary>One ingress on the driver holds every client connection and queues requests; partitions pull them
    /// in batches and send answers back. Requests a dead partition took are replayed to its next attempt.</summary>
    HeadNode,
}
