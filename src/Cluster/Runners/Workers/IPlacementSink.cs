namespace Partitioned.Clustering;

/// <summary>Where an engine reports the node an attempt was placed on, as soon as it learns it.</summary>
internal interface IPlacementSink
{
    /// <summary>Records the node the attempt runs on.</summary>
    void PlacedOn(string node);
}
