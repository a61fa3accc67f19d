namespace Partitioned.Server;

/// <summary>
/// A named server created from settings, before a settings value is bound. Register it with worker processes
/// as is; give a cluster <see cref="WithSettings"/>. Created by
/// <see cref="PartitionServerDefinition.Create{TSettings, TRow, TResult}"/>.
/// </summary>
/// <typeparam name="TSettings">The settings type; it travels to worker processes as JSON.</typeparam>
/// <typeparam name="TRow">The type of the partition's rows.</typeparam>
/// <typeparam name="TResult">The type of the result rows.</typeparam>
public sealed class PartitionServerDefinition<TSettings, TRow, TResult> : ITypedServerDefinition
{
    private readonly Func<TSettings, PartitionServer<TRow, TResult>> _create;

    internal PartitionServerDefinition(string name, Func<TSettings, PartitionServer<TRow, TResult>> create)
    {
        Name = name;
        _create = create;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public Type SettingsType => typeof(TSettings);

    /// <summary>Binds a settings value, giving the definition a cluster runs.</summary>
    public PartitionServerDefinition<TRow, TResult> WithSettings(TSettings settings) =>
        new(Name, typeof(TSettings), settings, value => _create((TSettings)value!));

    TOut ITypedServerDefinition.Accept<TOut>(IServerDefinitionVisitor<TOut> visitor, object? settings) =>
        visitor.Visit(WithSettings((TSettings)settings!));

    /// <summary>Returns the name.</summary>
    public override string ToString() => Name;
}
