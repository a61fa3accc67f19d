namespace Partitioned.Serving;

/// <summary>A partition's request stream waiting in an <see cref="IngressQueue"/> for a request to arrive.</summary>
internal interface IParkedStream
{
    /// <summary>Wakes the stream; false when it closed meanwhile (the wake then goes to the next one).</summary>
    bool TryUnpark();
}
