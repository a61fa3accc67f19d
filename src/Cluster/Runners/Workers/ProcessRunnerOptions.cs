using Partitioned.Shared;

namespace Partitioned.Clustering;

/// <summary>How the <see cref="ProcessRunner"/> starts worker processes on this machine. Checked when the runner is created; every problem is reported at once.</summary>
public sealed record ProcessRunnerOptions : WorkerOptions
{
    /// <summary>Options that start <c>dotnet &lt;assemblyPath&gt;</c>: a separate worker app, or a test worker.</summary>
    /// <param name="assemblyPath">The worker app's built dll.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static ProcessRunnerOptions ForAssembly(string assemblyPath) =>
        new() { Executable = WorkerCommand.FindDotnetHost(), Arguments = [RequireAssembly(assemblyPath)] };

    internal void Validate()
    {
        var validation = new OptionsValidation(nameof(ProcessRunnerOptions));
        ValidateWorker(validation);
        validation.ThrowIfInvalid();
    }
}
