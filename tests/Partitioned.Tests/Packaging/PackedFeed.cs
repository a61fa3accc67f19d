using System.Text.RegularExpressions;

namespace Partitioned.Tests.Packaging;

/// <summary>The solution packed once to a temporary folder feed, shared by the package tests; packages restore into a folder of its own.</summary>
public sealed partial class PackedFeed : IDisposable
{
    // Every fixture packs the same projects: one pack at a time in the process, since packs of one project write the same obj/ files.
    private static readonly SemaphoreSlim s_packing = new(1, 1);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly DirectoryInfo _work = Directory.CreateTempSubdirectory("partitioned-package-");
    private string? _version;

    public string Work => _work.FullName;

    public string Feed => Path.Combine(Work, "feed");

    /// <summary>Where restores from the feed put packages: never the machine's global packages folder.</summary>
    public string Packages => Path.Combine(Work, "packages");

    /// <summary>Packs the solution (once), in the configuration the tests were built in, and returns the packages' version.</summary>
    internal async Task<string> PackAsync(DotnetCli cli)
    {
        await _gate.WaitAsync();
        try
        {
            if (_version is null)
            {
                var root = ExampleProcess.RepositoryRoot;
                var configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;
                await s_packing.WaitAsync();
                try
                {
                    await cli.RunAsync(["pack", Path.Combine(root, "PartitionServer.sln"), "--no-build", "-c", configuration, "-o", Feed], root);
                }
                finally
                {
                    s_packing.Release();
                }

                var clustering = Directory.GetFiles(Feed, "Partitioned.Clustering.*.nupkg").Should().ContainSingle().Subject;
                _version = ClusteringVersion().Match(Path.GetFileName(clustering)).Groups[1].Value;
            }

            return _version;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>A NuGet.config that sees the feed and the packages' own dependencies, and nothing else.</summary>
    public Task WriteNuGetConfigAsync(string folder) => File.WriteAllTextAsync(Path.Combine(folder, "NuGet.config"), $"""
        <configuration>
          <packageSources>
            <clear />
            <add key="local" value="{Feed}" />
            <add key="dependencies" value="{s_dependencies}" />
          </packageSources>
        </configuration>
        """);

    // The packages' own dependencies (Grpc.AspNetCore.Server, Grpc.Net.Client, Grpc.Core.Api, Google.Protobuf, Parquet.Net), as nuget.org would give
    // them: from this machine's NuGet cache, where the solution's restore put them. Offline, like the rest of the test.
    private static readonly string s_dependencies = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
        ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    public void Dispose()
    {
        _gate.Dispose();
        _work.Delete(recursive: true);
    }

    [GeneratedRegex(@"Partitioned\.Clustering\.(.+)\.nupkg")]
    private static partial Regex ClusteringVersion();
}
