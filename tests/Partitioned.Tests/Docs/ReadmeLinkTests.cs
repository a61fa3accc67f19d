using System.Text.RegularExpressions;

namespace Partitioned.Tests.Docs;

/// <summary>The README and the docs pages it links stay honest: every relative link leads to a file, and every anchor to a heading.</summary>
public sealed partial class ReadmeLinkTests
{
    [Fact]
    public void EveryRelativeLink_InTheReadmeAndTheDocs_LeadsToAFileAndItsHeading()
    {
        var root = ExampleProcess.RepositoryRoot;
        var pages = Directory.GetFiles(Path.Combine(root, "docs"), "*.md").Prepend(Path.Combine(root, "README.md")).ToList();
        var broken = new List<string>();
        var checkedLinks = 0;
        foreach (var page in pages)
        {
            foreach (Match link in Link().Matches(WithoutCode(File.ReadAllText(page))))
            {
                var target = link.Groups[1].Value;
                if (target.StartsWith("http", StringComparison.Ordinal) || target.StartsWith("mailto:", StringComparison.Ordinal))
                {
                    continue;
                }

                checkedLinks++;
                var (path, anchor) = target.Split('#', 2) is [var p, var a] ? (p, a) : (target, null);
                var file = path.Length == 0 ? page : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(page)!, path));
                if (!File.Exists(file) && !Directory.Exists(file))
                {
                    broken.Add($"{Path.GetRelativePath(root, page)}: {target} (no such file)");
                }
                else if (anchor is not null && !Anchors(file).Contains(anchor))
                {
                    broken.Add($"{Path.GetRelativePath(root, page)}: {target} (no such heading)");
                }
            }
        }

        checkedLinks.Should().BeGreaterThan(20);
        broken.Should().BeEmpty();
    }

    [Fact]
    public void Readme_HasTheTwoCommands_AndLinksEveryDocsPage()
    {
        var root = ExampleProcess.RepositoryRoot;
        var readme = File.ReadAllText(Path.Combine(root, "README.md"));

        readme.Should().Contain("dotnet run --project examples/HelloPartitions").And.Contain("dotnet test PartitionServer.sln");
        File.ReadAllText(Path.Combine(root, ".ci", "run")).Should().Contain("dotnet test PartitionServer.sln", ".ci/run runs the README's test command");
        foreach (var page in Directory.GetFiles(Path.Combine(root, "docs"), "*.md"))
        {
            readme.Should().Contain($"(docs/{Path.GetFileName(page)})", $"every docs page is reachable from the README ({Path.GetFileName(page)})");
        }
    }

    /// <summary>GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes.</summary>
    private static HashSet<string> Anchors(string file) =>
        [.. Heading().Matches(WithoutCode(File.ReadAllText(file))).Select(static m => Slug().Replace(m.Groups[1].Value.Trim().ToLowerInvariant(), string.Empty).Replace(' ', '-'))];

    private static string WithoutCode(string markdown) => Fence().Replace(markdown, string.Empty);

    [GeneratedRegex(@"\]\(([^)\s]+)\)")]
    private static partial Regex Link();

    [GeneratedRegex(@"^#+ (.+)$", RegexOptions.Multiline)]
    private static partial Regex Heading();

    [GeneratedRegex(@"[^\w\- ]")]
    private static partial Regex Slug();

    [GeneratedRegex(@"^```.*?^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex Fence();
}
