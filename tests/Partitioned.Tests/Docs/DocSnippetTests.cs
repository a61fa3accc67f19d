using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Partitioned.Tests.Packaging;
using Xunit.Abstractions;

namespace Partitioned.Tests.Docs;

/// <summary>
/// Docs that cannot drift: every C# block in the README and docs/ compiles against the packed packages, as a reader's
/// project would reference them, or is marked as pseudo-code. Each block becomes a file of its own in one generated
/// project (one per package set and SDK its markers name), all built by one <c>dotnet build</c>; errors point at the page
/// and line of the block. The markers and wrappers are described in this folder's README.md.
/// </summary>
public sealed partial class DocSnippetTests(PackedFeed feed, ITestOutputHelper output) : IClassFixture<PackedFeed>
{
    private const string CanaryPage = "canary.md";
    private const string WrappersPage = "wrappers.md";

    [Fact]
    public void EveryMarker_StandsRightBeforeACSharpBlock_AndEveryProgramPutsItsStatementsFirst()
    {
        var (snippets, problems) = ReadAll();

        snippets.Should().HaveCountGreaterThan(15, "the README and the docs hold that many C# blocks");
        snippets.Should().Contain(static s => s.Page == "README.md" && s.Kind == SnippetKind.Program && !s.Marked,
            "the README's quick start is a whole program, compiled (and run by the package tests) as written");
        problems.Should().BeEmpty();
    }

    [Fact]
    public void Read_AMarkerWithoutABlock_AnUnknownKind_OrAKindInTheFence_IsAProblem()
    {
        var (snippets, problems) = DocSnippetReader.Read("page.md", """
            <!-- snippet: statements -->
            Some text where the block should be.

            <!-- snippet: fragment -->
            ```csharp
            var x = 1;
            ```

            <!-- snippet: pseudo -->
            ```bash
            echo hi
            ```

            ```csharp pseudo
            Do(things);
            ```

            <!-- snippet: members; colour: blue -->
            ```csharp
            private int _x;
            ```

            <!-- snippet: program -->
            """);

        snippets.Should().HaveCount(3);
        problems.Should().HaveCount(6).And.Contain(static p => p.StartsWith("page.md:1: a snippet marker without a C# block", StringComparison.Ordinal))
            .And.Contain(static p => p.StartsWith("page.md:4: unknown snippet kind 'fragment'", StringComparison.Ordinal))
            .And.Contain(static p => p.StartsWith("page.md:9: a snippet marker before a ```bash block", StringComparison.Ordinal))
            .And.Contain(static p => p.StartsWith("page.md:14: ```csharp pseudo: say how a block compiles with a marker", StringComparison.Ordinal))
            .And.Contain(static p => p.StartsWith("page.md:18: unknown snippet setting 'colour: blue'", StringComparison.Ordinal))
            .And.Contain(static p => p.StartsWith("page.md:23: a snippet marker without a C# block", StringComparison.Ordinal));
    }

    [Fact]
    public void Read_AMarker_SaysHowItsBlockCompiles()
    {
        var (snippets, problems) = DocSnippetReader.Read("page.md", """
            Text.

            <!-- snippet: statements; usings: Partitioned.Clustering, System.Net.Http.Json; given: Dictionary<string, int> counts, ClusterOptions options; packages: Partitioned.Client; sdk: web -->
            ```csharp
            var x = counts.Count;
            ```

            ```csharp
            Console.WriteLine("unmarked");
            ```
            """);

        problems.Should().BeEmpty();
        snippets.Should().HaveCount(2);
        snippets[0].Should().BeEquivalentTo(new
        {
            Line = 5,
            Kind = SnippetKind.Statements,
            Marked = true,
            Usings = new[] { "Partitioned.Clustering", "System.Net.Http.Json" },
            Given = new[] { "Dictionary<string, int> counts", "ClusterOptions options" },
            Packages = new[] { "Partitioned.Client" },
            Sdk = "Microsoft.NET.Sdk.Web",
        });
        snippets[1].Should().BeEquivalentTo(new { Line = 9, Kind = SnippetKind.Program, Marked = false, Packages = DocSnippet.DefaultPackages });
    }

    [Fact]
    public void Generate_AProgramWithATypeBeforeItsStatements_IsAProblem()
    {
        var snippet = new DocSnippet("page.md", 10, SnippetKind.Program, """
            using Partitioned.Server;

            public sealed class HelloServer
            {
            }

            var server = new HelloServer();
            """);

        var (source, problems) = SnippetSource.Generate(snippet, "/repo/page.md");

        problems.Should().ContainSingle().Which.Should().StartWith("page.md:16: a top-level statement after a type declaration (CS8803)");
        source.Should().Contain("#line 10 \"/repo/page.md\"").And.Contain("namespace DocSnippets.Page_md_L10;");
    }

    [Fact]
    public async Task EveryCSharpBlock_InTheReadmeAndTheDocs_CompilesAgainstThePackedPackages()
    {
        var (snippets, problems) = ReadAll();
        var version = await feed.PackAsync(new DotnetCli(output));
        var work = Directory.CreateDirectory(Path.Combine(feed.Work, "doc-snippets")).FullName;

        // A block that does not compile, built with the others: proves the errors of a bad block are found and placed.
        var canary = new DocSnippet(CanaryPage, 2, SnippetKind.Program, "Console.WriteLine(\"canary\");\nvar answer = NameThatDoesNotExist;");
        var compiled = snippets.Where(static s => s.Kind != SnippetKind.Pseudo).Concat(WrapperFixtures).Append(canary).ToList();
        var projects = await WriteProjectsAsync(work, compiled, version);

        var (exitCode, printed) = await new DotnetCli(output).TryRunAsync(["build", Path.Combine(work, "DocSnippets.slnx"), "-nologo", "-clp:NoSummary"], work);

        // The docs' own errors first (a syntax error anywhere hides every block's semantic errors, the canary's too).
        var errors = Errors(printed);
        var report = Report(compiled.Where(static s => s.Page != CanaryPage).ToList(), errors.Where(static e => e.Page != CanaryPage).ToList());
        (string.Join(Environment.NewLine, problems.Append(report).Where(static p => p.Length > 0)))
            .Should().BeEmpty("every C# block of the docs compiles, or is marked <!-- snippet: pseudo -->");
        errors.Should().Contain(static e => e.Page == CanaryPage && e.Line == 3 && e.Code == "CS0103",
            $"the canary block's error is reported at its page and line (exit code {exitCode}, {projects} projects):{Environment.NewLine}{printed}");
        exitCode.Should().NotBe(0, "the canary fails the build on purpose");
        output.WriteLine($"{snippets.Count(static s => s.Kind != SnippetKind.Pseudo)} blocks of the docs compiled in {projects} project(s), with the wrapper fixtures and the canary; {snippets.Count(static s => s.Kind == SnippetKind.Pseudo)} marked pseudo-code.");
    }

    /// <summary>One good block of each wrapper, compiled with the docs' own, so a wrapper that breaks fails even if no page uses it.</summary>
    private static IEnumerable<DocSnippet> WrapperFixtures =>
    [
        new(WrappersPage, 1, SnippetKind.Members, "public int Partitions => options.Replicas * 2;\n\nprivate static string Name() => nameof(ClusterOptions);")
        {
            Marked = true, Usings = ["Partitioned.Clustering"], Given = ["ClusterOptions options"],
        },
        new(WrappersPage, 5, SnippetKind.Statements, "using Partitioned.Clustering;\n\nvar replicas = options.Replicas;\nawait Task.Yield();")
        {
            Marked = true, Given = ["ClusterOptions options"],
        },
        new(WrappersPage, 10, SnippetKind.Program, "using Partitioned.Client;\n\nvar options = new PartitionedClientOptions();\nreturn options.GoneAfter.Seconds > 0 ? 0 : 1;\n\npublic sealed record Local(int Value);")
        {
            Marked = true, Packages = ["Partitioned.Client"],
        },
    ];

    private static (List<DocSnippet> Snippets, List<string> Problems) ReadAll()
    {
        var root = ExampleProcess.RepositoryRoot;
        var snippets = new List<DocSnippet>();
        var problems = new List<string>();
        foreach (var page in DocSnippetReader.Pages(root))
        {
            var (found, trouble) = DocSnippetReader.Read(Path.GetRelativePath(root, page).Replace('\\', '/'), File.ReadAllText(page));
            snippets.AddRange(found);
            problems.AddRange(trouble);
        }

        foreach (var snippet in snippets.Where(static s => s.Kind != SnippetKind.Pseudo))
        {
            problems.AddRange(SnippetSource.Generate(snippet, Path.Combine(root, snippet.Page)).Problems);
        }

        return (snippets, problems);
    }

    /// <summary>One project per SDK and package set, each block a file of its own, and a solution that builds them all; returns how many projects.</summary>
    private async Task<int> WriteProjectsAsync(string work, List<DocSnippet> snippets, string version)
    {
        var root = ExampleProcess.RepositoryRoot;
        var versions = XDocument.Load(Path.Combine(root, "Directory.Packages.props")).Descendants("PackageVersion")
            .ToDictionary(static p => (string)p.Attribute("Include")!, static p => (string)p.Attribute("Version")!);
        var solution = new StringBuilder("<Solution>\n");
        var groups = snippets.GroupBy(static s => $"{s.Sdk}|{string.Join(',', s.Packages.Order(StringComparer.Ordinal))}").ToList();
        foreach (var (group, index) in groups.Select(static (g, i) => (g, i)))
        {
            var folder = Directory.CreateDirectory(Path.Combine(work, $"Snippets{index}")).FullName;
            var first = group.First();
            var references = string.Join(Environment.NewLine, first.Packages.Select(p =>
                $"""    <PackageReference Include="{p}" Version="{(p.StartsWith("Partitioned.", StringComparison.Ordinal) ? version : versions[p])}" />"""));
            await File.WriteAllTextAsync(Path.Combine(folder, $"Snippets{index}.csproj"), $"""
                <Project Sdk="{first.Sdk}">
                  <!-- The docs' C# blocks that reference {string.Join(", ", first.Packages)}, as a reader's project would. -->
                  <PropertyGroup>
                    <OutputType>Library</OutputType>
                    <TargetFramework>net10.0</TargetFramework>
                    <ImplicitUsings>enable</ImplicitUsings>
                    <Nullable>enable</Nullable>
                    <RestorePackagesPath>{feed.Packages}</RestorePackagesPath>
                    <!-- Fragments leave variables unused and async methods without await. -->
                    <NoWarn>$(NoWarn);CS0162;CS0168;CS0219;CS1998;CS4014;CS8321</NoWarn>
                  </PropertyGroup>
                  <ItemGroup>
                {references}
                  </ItemGroup>
                </Project>
                """);
            if (first.Packages.Any(static p => p is "Partitioned.Serving" or "Partitioned.Clustering" or "Partitioned.Parquet"))
            {
                await File.WriteAllTextAsync(Path.Combine(folder, "DocSnippetContext.cs"), DocSnippetContext.Source);
            }

            foreach (var snippet in group)
            {
                var page = snippet.Page is CanaryPage or WrappersPage ? Path.Combine(work, snippet.Page) : Path.Combine(root, snippet.Page);
                await File.WriteAllTextAsync(Path.Combine(folder, SnippetSource.Identifier(snippet) + ".cs"), SnippetSource.Generate(snippet, page).Source);
            }

            solution.Append($"  <Project Path=\"Snippets{index}/Snippets{index}.csproj\" />\n");
        }

        await File.WriteAllTextAsync(Path.Combine(work, "DocSnippets.slnx"), solution.Append("</Solution>\n").ToString());
        await feed.WriteNuGetConfigAsync(work);
        return groups.Count;
    }

    /// <summary>The compiler's and NuGet's errors, each placed at its page and line when it comes from a block.</summary>
    private static List<BuildError> Errors(string printed)
    {
        var root = ExampleProcess.RepositoryRoot;
        var errors = new List<BuildError>();
        foreach (var line in printed.Split('\n').Select(static l => l.Trim()).Distinct())
        {
            if (CompilerError().Match(line) is { Success: true } error)
            {
                var file = error.Groups["file"].Value;
                var page = file.EndsWith(CanaryPage, StringComparison.Ordinal) ? CanaryPage
                    : file.EndsWith(WrappersPage, StringComparison.Ordinal) ? WrappersPage
                    : file.EndsWith(".md", StringComparison.Ordinal) ? Path.GetRelativePath(root, file).Replace('\\', '/')
                    : Path.GetFileName(file);
                errors.Add(new BuildError(page, int.Parse(error.Groups["line"].Value, System.Globalization.CultureInfo.InvariantCulture), error.Groups["code"].Value, error.Groups["message"].Value));
            }
            else if (line.Contains(": error ", StringComparison.Ordinal))
            {
                errors.Add(new BuildError("(build)", 0, "build", line));
            }
        }

        return errors;
    }

    /// <summary>What failed, block by block, with how to fix it.</summary>
    private static string Report(List<DocSnippet> snippets, List<BuildError> errors)
    {
        var report = new StringBuilder();
        // An error inside a block is placed at its page and line; one in the wrapper (a given's type) at the block's file.
        var owner = (BuildError e) => snippets.FirstOrDefault(s => (s.Page == e.Page && s.Covers(e.Line)) || SnippetSource.Identifier(s) + ".cs" == e.Page);
        foreach (var group in errors.GroupBy(e => owner(e)?.ToString() ?? e.Page))
        {
            report.AppendLine($"{group.Key} does not compile:");
            foreach (var error in group.Distinct())
            {
                report.AppendLine($"  line {error.Line}: {error.Code} {error.Message}");
            }
        }

        if (report.Length > 0)
        {
            report.AppendLine("Fix the block, or tell how it compiles with a marker on the line before its fence: <!-- snippet: statements; usings: ...; given: Type name -->, "
                + "<!-- snippet: members -->, or <!-- snippet: pseudo --> for pseudo-code (tests/Partitioned.Tests/Docs/README.md).");
        }

        return report.ToString();
    }

    private sealed record BuildError(string Page, int Line, string Code, string Message);

    [GeneratedRegex(@"^(?<file>[^\s(][^(]*)\((?<line>\d+),(?<column>\d+)\): error (?<code>[A-Z]+\d+): (?<message>.*?)( \[[^\]]+\])?$")]
    private static partial Regex CompilerError();
}
