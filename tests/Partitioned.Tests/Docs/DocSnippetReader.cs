using System.Text.RegularExpressions;

namespace Partitioned.Tests.Docs;

/// <summary>
/// Finds the C# blocks of a Markdown page and the markers that say how to compile them. A marker is an HTML comment on
/// the line right before a block's opening fence: <c>&lt;!-- snippet: KIND; key: value; ... --&gt;</c>. Anything that
/// cannot be what the page meant (a marker with no C# block after it, an unknown kind or key) is a problem.
/// </summary>
public static partial class DocSnippetReader
{
    /// <summary>The pages whose C# blocks are compiled: the README and every page in docs/.</summary>
    public static IReadOnlyList<string> Pages(string root) =>
        [.. Directory.GetFiles(Path.Combine(root, "docs"), "*.md").Order(StringComparer.Ordinal).Prepend(Path.Combine(root, "README.md"))];

    /// <summary>Every C# block of a page, and every problem with its markers.</summary>
    /// <param name="page">The page's name as reported (relative to the repository root).</param>
    /// <param name="markdown">The page's text.</param>
    public static (IReadOnlyList<DocSnippet> Snippets, IReadOnlyList<string> Problems) Read(string page, string markdown)
    {
        var lines = markdown.Split('\n').Select(static l => l.TrimEnd('\r')).ToArray();
        var snippets = new List<DocSnippet>();
        var problems = new List<string>();
        (string Body, int Line)? marker = null;
        for (var i = 0; i < lines.Length; i++)
        {
            if (OpeningFence().Match(lines[i]) is { Success: true } fence)
            {
                var indent = fence.Groups["indent"].Value;
                var language = fence.Groups["info"].Value.Trim().Split(' ', 2)[0];
                var close = Array.FindIndex(lines, i + 1, l => l.Trim() == "```");
                if (close < 0)
                {
                    problems.Add($"{page}:{i + 1}: the ```{language} block is never closed.");
                    break;
                }

                var code = string.Join('\n', lines[(i + 1)..close].Select(l => l.StartsWith(indent, StringComparison.Ordinal) ? l[indent.Length..] : l));
                if (IsCSharp(language) && fence.Groups["info"].Value.Trim() != language)
                {
                    problems.Add($"{page}:{i + 1}: ```{fence.Groups["info"].Value.Trim()}: say how a block compiles with a marker on the line before it (<!-- snippet: pseudo --> for pseudo-code), not in the fence.");
                }

                if (IsCSharp(language))
                {
                    snippets.Add(marker is { } m ? Marked(page, i + 2, code, m.Body, m.Line, problems) : new DocSnippet(page, i + 2, SnippetKind.Program, code));
                }
                else if (marker is { } m)
                {
                    problems.Add($"{page}:{m.Line}: a snippet marker before a ```{language} block: markers go right before a ```csharp block.");
                }

                marker = null;
                i = close;
                continue;
            }

            if (MarkerLine().Match(lines[i]) is { Success: true } found)
            {
                if (marker is { } previous)
                {
                    problems.Add($"{page}:{previous.Line}: a snippet marker without a C# block: put it on the line right before the block's ```csharp fence.");
                }

                marker = (found.Groups["body"].Value, i + 1);
                continue;
            }

            if (marker is { } orphan)
            {
                problems.Add($"{page}:{orphan.Line}: a snippet marker without a C# block: put it on the line right before the block's ```csharp fence.");
                marker = null;
            }
        }

        if (marker is { } last)
        {
            problems.Add($"{page}:{last.Line}: a snippet marker without a C# block: put it on the line right before the block's ```csharp fence.");
        }

        return (snippets, problems);
    }

    private static DocSnippet Marked(string page, int line, string code, string body, int markerLine, List<string> problems)
    {
        var where = $"{page}:{markerLine}";
        if (!body.StartsWith(':'))
        {
            problems.Add($"{where}: a snippet marker reads <!-- snippet: KIND; ... -->, with a colon after 'snippet'.");
            return new DocSnippet(page, line, SnippetKind.Program, code) { Marked = true };
        }

        var parts = body[1..].Split(';').Select(static p => p.Trim()).ToArray();
        if (!Enum.TryParse<SnippetKind>(parts[0], ignoreCase: true, out var kind) || !Enum.IsDefined(kind) || parts[0].Any(char.IsDigit))
        {
            problems.Add($"{where}: unknown snippet kind '{parts[0]}': one of program, statements, members, pseudo.");
        }

        var snippet = new DocSnippet(page, line, kind, code) { Marked = true };
        foreach (var part in parts.Skip(1).Where(static p => p.Length > 0))
        {
            var (key, value) = part.Split(':', 2) is [var k, var v] ? (k.Trim(), v.Trim()) : (part, string.Empty);
            var items = SplitTopLevel(value);
            switch (key)
            {
                case "usings":
                    snippet = snippet with { Usings = items };
                    break;
                case "given":
                    foreach (var given in items.Where(static g => !GivenDeclaration().IsMatch(g)))
                    {
                        problems.Add($"{where}: 'given: {given}' is not a declaration such as 'PartitionedDataset<int> dataset'.");
                    }

                    snippet = snippet with { Given = items };
                    break;
                case "packages":
                    snippet = snippet with { Packages = items };
                    break;
                case "sdk" when value == "web":
                    snippet = snippet with { Sdk = "Microsoft.NET.Sdk.Web" };
                    break;
                default:
                    problems.Add($"{where}: unknown snippet setting '{part}': usings, given, packages or sdk: web.");
                    break;
            }
        }

        if (kind == SnippetKind.Pseudo && (snippet.Usings.Count > 0 || snippet.Given.Count > 0))
        {
            problems.Add($"{where}: pseudo-code is not compiled, so it takes no usings or given.");
        }

        return snippet;
    }

    /// <summary>Splits a marker's list at commas outside angle brackets and parentheses (<c>Dictionary&lt;string, int&gt; counts</c> is one item).</summary>
    private static List<string> SplitTopLevel(string value)
    {
        var items = new List<string>();
        var depth = 0;
        var start = 0;
        for (var i = 0; i < value.Length; i++)
        {
            depth += value[i] switch { '<' or '(' or '[' => 1, '>' or ')' or ']' => -1, _ => 0 };
            if (value[i] == ',' && depth == 0)
            {
                items.Add(value[start..i].Trim());
                start = i + 1;
            }
        }

        items.Add(value[start..].Trim());
        return [.. items.Where(static i => i.Length > 0)];
    }

    private static bool IsCSharp(string language) => language is "csharp" or "cs" or "c#" or "C#";

    [GeneratedRegex(@"^(?<indent>\s*)```(?<info>.*)$")]
    private static partial Regex OpeningFence();

    [GeneratedRegex(@"^\s*<!--\s*snippet\b(?<body>.*?)\s*-->\s*$")]
    private static partial Regex MarkerLine();

    [GeneratedRegex(@"^[\w.<>\[\], ?()]+\s+@?\w+$")]
    private static partial Regex GivenDeclaration();
}
