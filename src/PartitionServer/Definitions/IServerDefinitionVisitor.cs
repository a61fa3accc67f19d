namespace Partitioned.Server;

/// <summary>
/// Works with a definition's row and result types without reflection: a worker process knows definitions only
/// as <see cref="IPartitionServerDefinition"/>, and <see cref="ITypedServerDefinition.Accept"/> calls back with
/// the typed definition.
/// </summary>
internal interface IServerDefinitionVisitor<out TOut>
{
    TOut Visit<TRow, TResult>(PartitionServerDefinition<TRow, TResult> definition);
}
