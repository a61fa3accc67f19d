using System.Reflection;

namespace Partitioned.Clustering;

/// <summary>The program and arguments a worker process is started with.</summary>
internal sealed record WorkerCommand(string Executable, IReadOnlyList<string> Arguments)
{
    /// <summary>The configured program, or this app started again.</summary>
    /// <exception cref="InvalidOperationException">This app's own path cannot be told.</exception>
    public static WorkerCommand Resolve(WorkerOptions options)
    {
        if (options.Executable is { } executable)
        {
            return new WorkerCommand(executable, options.Arguments);
        }

        var path = Environment.ProcessPath
            ?? throw new InvalidOperationException($"The path of this program is unknown, so a worker runner cannot start it again as a worker; set {nameof(WorkerOptions)}.{nameof(WorkerOptions.Executable)}.");
        if (!IsDotnetHost(path))
        {
            return new WorkerCommand(path, options.Arguments);
        }

        var entry = Assembly.GetEntryAssembly()?.Location;
        return string.IsNullOrEmpty(entry)
            ? throw new InvalidOperationException($"This app runs on the dotnet host but its entry assembly has no file path, so a worker runner cannot start it again as a worker; set {nameof(WorkerOptions)}.{nameof(WorkerOptions.Executable)}.")
            : new WorkerCommand(path, [entry, .. options.Arguments]);
    }

    /// <summary>The dotnet host that runs this process (or the SDK's), else <c>dotnet</c> from the PATH.</summary>
    public static string FindDotnetHost()
    {
        if (Environment.ProcessPath is { } path && IsDotnetHost(path))
        {
            return path;
        }

        return Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
    }

    public override string ToString() => Format(Executable, Arguments);

    /// <summary>A command line for logs: arguments with spaces quoted.</summary>
    public static string Format(string executable, IEnumerable<string> arguments) =>
        string.Join(' ', arguments.Prepend(executable).Select(static a => a.Contains(' ', StringComparison.Ordinal) ? $"\"{a}\"" : a));

    private static bool IsDotnetHost(string path) => Path.GetFileNameWithoutExtension(path).Equals("dotnet", StringComparison.OrdinalIgnoreCase);
}
