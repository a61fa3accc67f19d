namespace Partitioned.Server;

/// <summary>The features of one partition server attempt. Extension methods of feature libraries add to it (for example <c>AddService</c>).</summary>
public sealed class PartitionFeatures
{
    private readonly List<IPartitionFeature> _features = [];

    internal PartitionFeatures()
    {
    }

    /// <summary>The features added so far, in order.</summary>
    public IReadOnlyList<IPartitionFeature> All => _features;

    /// <summary>Adds a feature.</summary>
    public PartitionFeatures Add(IPartitionFeature feature)
    {
        ArgumentNullException.ThrowIfNull(feature);
        _features.Add(feature);
        return this;
    }

    /// <summary>The feature of type <typeparamref name="T"/>, creating and adding it with <paramref name="create"/> when there is none yet.</summary>
    public T GetOrAdd<T>(Func<T> create)
        where T : IPartitionFeature
    {
        ArgumentNullException.ThrowIfNull(create);
        var existing = _features.OfType<T>().FirstOrDefault();
        if (existing is not null)
        {
            return existing;
        }

        var created = create();
        _features.Add(created);
        return created;
    }
}
