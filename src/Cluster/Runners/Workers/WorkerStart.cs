namespace Partitioned.Clustering;

/// <summary>
/// The local process one worker attempt starts: the worker program itself (process runner), or a launcher such as
/// <c>srun</c> that runs it elsewhere and relays its standard streams.
/// </summary>
/// <param name="Executable">The program to start.</param>
/// <param name="Arguments">Its arguments.</param>
/// <param name="Environment">Variables to set (a null value removes the variable from the inherited environment).</param>
/// <param name="WorkingDirectory">Where it starts.</param>
/// <param name="Handle">What the engine calls the attempt where it runs (a Slurm job name), or null for a plain process.</param>
internal sealed record WorkerStart(
    string Executable,
    IReadOnlyList<string> Arguments,
    IReadOnlyDictionary<string, string?> Environment,
    string WorkingDirectory,
    string? Handle)
{
    public override string ToString() => WorkerCommand.Format(Executable, Arguments);
}
