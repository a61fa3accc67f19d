namespace Partitioned.Server;

/// <summary>Implemented by the library's definitions, so a worker can run one it found by name.</summary>
internal interface ITypedServerDefinition : IPartitionServerDefinition
{
    /// <summary>Calls <paramref name="visitor"/> with this definition bound to <paramref name="settings"/> (ignored when it takes none).</summary>
    TOut Accept<TOut>(IServerDefinitionVisitor<TOut> visitor, object? settings);
}
