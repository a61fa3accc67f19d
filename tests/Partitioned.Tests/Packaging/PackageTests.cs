using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace Partitioned.Tests.Packaging;

/// <summary>
/// The packages as a newcomer meets them: packed to a folder feed, referenced by a fresh console app from that feed
/// only, which builds and runs the README's quick start as written.
/// </summary>
public sealed partial class PackageTests(ITestOutputHelper output) : IDisposable
{
    private readonly DirectoryInfo _work = Directory.CreateTempSubdirectory("partitioned-package-");

    public void Dispose() => _work.Delete(recursive: true);

    [Fact]
    public async Task Packages_FromAFolderFeed_RunTheReadmeQuickStart_InAFreshConsoleApp()
    {
        var root = ExampleProcess.RepositoryRoot;
        var configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;
        var feed = Path.Combine(_work.FullName, "feed");
        await RunAsync("dotnet", ["pack", Path.Combine(root, "PartitionServer.sln"), "--no-build", "-c", configuration, "-o", feed], root);

        var clustering = Directory.GetFiles(feed, "Partitioned.Clustering.*.nupkg").Should().ContainSingle().Subject;
        var version = Regex.Match(Path.GetFileName(clustering), @"Partitioned\.Clustering\.(.+)\.nupkg").Groups[1].Value;
        foreach (var package in (string[])["Coordination", "Server", "Clustering", "Serving", "Parquet", "Client"])
        {
            File.Exists(Path.Combine(feed, $"Partitioned.{package}.{version}.snupkg")).Should().BeTrue($"Partitioned.{package} ships its symbols");
            using var zip = ZipFile.OpenRead(Path.Combine(feed, $"Partitioned.{package}.{version}.nupkg"));
            zip.GetEntry("PACKAGE.md").Should().NotBeNull("the package carries its readme");
            using var nuspec = new StreamReader(zip.Entries.Single(static e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open());
            var manifest = await nuspec.ReadToEndAsync();
            manifest.Should().Contain("<license type=\"expression\">MIT</license>").And.Contain("<readme>PACKAGE.md</readme>")
                .And.Contain("<tags>").And.Contain("<repository type=\"git\"").And.NotContain("Package Description");
        }

        var app = Directory.CreateDirectory(Path.Combine(_work.FullName, "MyPartitions")).FullName;
        await File.WriteAllTextAsync(Path.Combine(app, "MyPartitions.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
                <RestorePackagesPath>{Path.Combine(_work.FullName, "packages")}</RestorePackagesPath>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Partitioned.Clustering" Version="{version}" />
              </ItemGroup>
            </Project>
            """);
        await File.WriteAllTextAsync(Path.Combine(app, "NuGet.config"), $"""
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="{feed}" />
                <add key="dependencies" value="{s_dependencies}" />
              </packageSources>
            </configuration>
            """);
        await File.WriteAllTextAsync(Path.Combine(app, "Program.cs"), QuickStart(await File.ReadAllTextAsync(Path.Combine(root, "README.md"))));

        var printed = await RunAsync("dotnet", ["run", "--project", app], app);

        printed.Should().Contain("partition 0 holds 500 rows; all partitions hold 1000")
            .And.Contain("PartitionSummary { Partition = 0, Rows = 500, Sum = 124750 }")
            .And.Contain("PartitionSummary { Partition = 1, Rows = 500, Sum = 374750 }");
    }

    /// <summary>The C# between the README's quick-start markers, as a newcomer would paste it.</summary>
    private static string QuickStart(string readme)
    {
        var block = QuickStartBlock().Match(readme);
        block.Success.Should().BeTrue("the README marks its quick start with <!-- quick-start --> and <!-- /quick-start -->");
        return block.Groups[1].Value;
    }

    private async Task<string> RunAsync(string program, string[] arguments, string workingDirectory)
    {
        var start = new ProcessStartInfo(program) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // The test host runs under MSBuild's environment; a fresh project must not inherit it.
        foreach (var name in start.Environment.Keys.Where(static k => k.Contains("MSBUILD", StringComparison.OrdinalIgnoreCase) || k.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(name);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(start)!;
        var text = new StringBuilder();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        await process.WaitForExitAsync(timeout.Token);
        text.Append(await stdout).Append(await stderr);
        output.WriteLine($"$ {program} {string.Join(' ', arguments)}{Environment.NewLine}{text}");
        process.ExitCode.Should().Be(0, text.ToString());
        return text.ToString();
    }

    // The packages' own dependencies (Grpc.AspNetCore.Server, Grpc.Net.Client, Google.Protobuf), as nuget.org would give
    // them: from this machine's NuGet cache, where the solution's restore put them. Offline, like the rest of the test.
    private static readonly string s_dependencies = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
        ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    [GeneratedRegex(@"<!-- quick-start -->\s*```csharp\n(.*?)```\s*<!-- /quick-start -->", RegexOptions.Singleline)]
    private static partial Regex QuickStartBlock();
}
