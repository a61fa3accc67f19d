using System.Text.RegularExpressions;

namespace Partitioned.Tests.Docs;

/// <summary>Every log event the docs cite ("event 11") is one the libraries log: ids come from [LoggerMessage] in src/.</summary>
public sealed partial class LogEventTests
{
    [Fact]
    public void EveryLogEvent_TheDocsCite_IsOneTheLibrariesLog()
    {
        var root = ExampleProcess.RepositoryRoot;
        var logged = Directory.GetFiles(Path.Combine(root, "src"), "*.cs", SearchOption.AllDirectories)
            .SelectMany(static file => EventId().Matches(File.ReadAllText(file)).Select(static m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)))
            .ToHashSet();
        var cited = DocSnippetReader.Pages(root)
            .SelectMany(page => Cited().Matches(File.ReadAllText(page)).Select(m => (Page: Path.GetRelativePath(root, page), Id: int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture))))
            .ToList();

        cited.Where(static c => c.Page.EndsWith("troubleshooting.md", StringComparison.Ordinal)).Should().HaveCountGreaterThan(10, "the troubleshooting page names the events to look for");
        cited.Where(c => !logged.Contains(c.Id)).Select(static c => $"{c.Page}: event {c.Id}").Should().BeEmpty("a cited event id is one a [LoggerMessage] in src/ declares");
    }

    [GeneratedRegex(@"\[LoggerMessage\(EventId = (\d+)")]
    private static partial Regex EventId();

    [GeneratedRegex(@"\bevent (\d+)\b")]
    private static partial Regex Cited();
}
