using System.IO.Compression;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace Partitioned.Tests.Packaging;

/// <summary>
/// The packages as a newcomer meets them: packed to a folder feed, referenced by a fresh console app from that feed
/// only, which builds and runs the README's quick start as written; and the <c>dotnet new partitionserver</c>
/// template installed from its package, whose app runs in-process and with a process per partition.
/// </summary>
public sealed partial class PackageTests(PackedFeed feed, ITestOutputHelper output) : IClassFixture<PackedFeed>
{
    private readonly DotnetCli _cli = new(output);

    [Fact]
    public async Task Packages_FromAFolderFeed_RunTheReadmeQuickStart_InAFreshConsoleApp()
    {
        var version = await feed.PackAsync(_cli);
        foreach (var package in (string[])["Abstractions", "Coordination", "Server", "Clustering", "Serving", "Parquet", "Client"])
        {
            File.Exists(Path.Combine(feed.Feed, $"Partitioned.{package}.{version}.snupkg")).Should().BeTrue($"Partitioned.{package} ships its symbols");
            using var zip = ZipFile.OpenRead(Path.Combine(feed.Feed, $"Partitioned.{package}.{version}.nupkg"));
            zip.GetEntry("PACKAGE.md").Should().NotBeNull("the package carries its readme");
            using var nuspec = new StreamReader(zip.Entries.Single(static e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open());
            var manifest = await nuspec.ReadToEndAsync();
            manifest.Should().Contain("<license type=\"expression\">MIT</license>").And.Contain("<readme>PACKAGE.md</readme>")
                .And.Contain("<tags>").And.Contain("<repository type=\"git\"").And.NotContain("Package Description");
        }

        var app = Directory.CreateDirectory(Path.Combine(feed.Work, "MyPartitions")).FullName;
        await File.WriteAllTextAsync(Path.Combine(app, "MyPartitions.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
                <RestorePackagesPath>{feed.Packages}</RestorePackagesPath>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Partitioned.Clustering" Version="{version}" />
              </ItemGroup>
            </Project>
            """);
        await feed.WriteNuGetConfigAsync(app);
        await File.WriteAllTextAsync(Path.Combine(app, "Program.cs"), QuickStart(await File.ReadAllTextAsync(Path.Combine(ExampleProcess.RepositoryRoot, "README.md"))));

        var printed = await _cli.RunAsync(["run", "--project", app], app);

        printed.Should().Contain("partition 0 holds 500 rows; all partitions hold 1000")
            .And.Contain("PartitionSummary { Partition = 0, Rows = 500, Sum = 124750 }")
            .And.Contain("PartitionSummary { Partition = 1, Rows = 500, Sum = 374750 }");
    }

    [Fact]
    public async Task Template_FromItsPackage_MakesAnAppThatRuns_InProcessAndWithAProcessPerPartition()
    {
        var version = await feed.PackAsync(_cli);
        var template = Path.Combine(feed.Feed, $"Partitioned.Templates.{version}.nupkg");
        File.Exists(template).Should().BeTrue("the templates pack with the same version as the libraries");

        // A hive of its own: the machine's installed templates are left alone.
        var hive = Path.Combine(feed.Work, "template-hive");
        await _cli.RunAsync(["new", "install", template, "--debug:custom-hive", hive], feed.Work);
        var app = Path.Combine(feed.Work, "MyWords");
        await _cli.RunAsync(["new", "partitionserver", "-n", "MyWords", "-o", app, "--partitions", "3", "--debug:custom-hive", hive], feed.Work);
        (await File.ReadAllTextAsync(Path.Combine(app, "MyWords.csproj"))).Should().Contain($"Version=\"{version}\"",
            "the template's default library version (templates/content/partitionserver/.template.config/template.json) follows the packages' version");
        await feed.WriteNuGetConfigAsync(app);
        var restore = new Dictionary<string, string> { ["NUGET_PACKAGES"] = feed.Packages };

        await _cli.RunAsync(["build", app], app, restore);
        var inProcess = await _cli.RunAsync(["run", "--no-build", "--project", app], app, restore);
        var processes = await _cli.RunAsync(["run", "--no-build", "--project", app, "--", "--processes"], app, restore);

        inProcess.Should().Contain("3 partitions serving (in this process)");
        processes.Should().Contain("3 partitions serving (one process each)");
        foreach (var printed in (string[])[inProcess, processes])
        {
            printed.Should().Contain("partition 0 has 'the' 42 times").And.Contain("'partition' occurs 100 times in all")
                .And.Contain("partition 0: 'the' x42").And.Contain("partition 2: 'its' x17");
        }
    }

    /// <summary>The C# between the README's quick-start markers, as a newcomer would paste it.</summary>
    private static string QuickStart(string readme)
    {
        var block = QuickStartBlock().Match(readme);
        block.Success.Should().BeTrue("the README marks its quick start with <!-- quick-start --> and <!-- /quick-start -->");
        return block.Groups[1].Value;
    }

    [GeneratedRegex(@"<!-- quick-start -->\s*```csharp\n(.*?)```\s*<!-- /quick-start -->", RegexOptions.Singleline)]
    private static partial Regex QuickStartBlock();
}
