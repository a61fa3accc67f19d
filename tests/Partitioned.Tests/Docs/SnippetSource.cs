using System.Text;
using System.Text.RegularExpressions;

namespace Partitioned.Tests.Docs;

/// <summary>
/// Turns a docs block into a C# file of its own, so that every block compiles in one project: the block's namespace is
/// its own, a program's top-level statements become the body of a method, and <c>#line</c> directives map every
/// compiler error back to the page and line it came from.
/// </summary>
public static partial class SnippetSource
{
    /// <summary>The namespace of the docs' shared sample types (<see cref="DocSnippetContext"/>); every block's namespace is inside it.</summary>
    public const string ContextNamespace = "DocSnippets";

    /// <summary>The file's text, and any problem the compiler would not report once the block is wrapped.</summary>
    /// <param name="snippet">The block.</param>
    /// <param name="pagePath">The page's full path, for the <c>#line</c> directives.</param>
    public static (string Source, IReadOnlyList<string> Problems) Generate(DocSnippet snippet, string pagePath)
    {
        var lines = snippet.Code.Split('\n');
        var problems = new List<string>();
        var source = new StringBuilder().AppendLine($"// Generated from {snippet.Page}, line {snippet.Line}.");
        foreach (var import in snippet.Usings)
        {
            source.AppendLine($"using {import};");
        }

        // The block's own using directives (and the comments and blank lines around them) stay at the top of the file.
        var body = 0;
        while (body < lines.Length && (UsingDirective().IsMatch(lines[body]) || string.IsNullOrWhiteSpace(lines[body]) || lines[body].TrimStart().StartsWith("//", StringComparison.Ordinal)))
        {
            body++;
        }

        AppendMapped(source, lines, 0, body, snippet.Line, pagePath);
        source.AppendLine($"namespace {ContextNamespace}.{Identifier(snippet)};");
        var parameters = string.Join(", ", snippet.Given);
        switch (snippet.Kind)
        {
            case SnippetKind.Program:
                var types = FirstTypeDeclaration(lines, body);
                problems.AddRange(StatementsAfterTypes(snippet, lines, types));
                source.AppendLine("internal static class Program").AppendLine("{")
                    .AppendLine($"    public static async Task<int> Run({string.Join(", ", snippet.Given.Prepend("string[] args"))})").AppendLine("    {");
                AppendMapped(source, lines, body, types, snippet.Line, pagePath);
                source.AppendLine("        return 0;").AppendLine("    }").AppendLine("}");
                AppendMapped(source, lines, types, lines.Length, snippet.Line, pagePath);
                break;
            case SnippetKind.Statements:
                source.AppendLine("internal static class Snippet").AppendLine("{")
                    .AppendLine($"    public static async Task Run({parameters})").AppendLine("    {");
                AppendMapped(source, lines, body, lines.Length, snippet.Line, pagePath);
                source.AppendLine("    }").AppendLine("}");
                break;
            case SnippetKind.Members:
                source.AppendLine("internal sealed class Snippet").AppendLine("{");
                foreach (var given in snippet.Given)
                {
                    source.AppendLine($"    private readonly {given} = default!;");
                }

                AppendMapped(source, lines, body, lines.Length, snippet.Line, pagePath);
                source.AppendLine("}");
                break;
            default:
                throw new ArgumentException($"{snippet} is pseudo-code, which is not compiled.", nameof(snippet));
        }

        return (source.ToString(), problems);
    }

    /// <summary>A name for the block's file and namespace: <c>Docs_guide_md_L35</c>.</summary>
    public static string Identifier(DocSnippet snippet) =>
        $"{NonIdentifier().Replace(char.ToUpperInvariant(snippet.Page[0]) + snippet.Page[1..], "_")}_L{snippet.Line}";

    private static void AppendMapped(StringBuilder source, string[] lines, int from, int to, int firstLine, string pagePath)
    {
        if (from >= to)
        {
            return;
        }

        source.AppendLine($"#line {firstLine + from} \"{pagePath}\"");
        foreach (var line in lines[from..to])
        {
            source.AppendLine(line);
        }

        source.AppendLine("#line default");
    }

    /// <summary>Where a program's types begin: the first type declaration (or the attributes on it) at the start of a line.</summary>
    private static int FirstTypeDeclaration(string[] lines, int from)
    {
        for (var i = from; i < lines.Length; i++)
        {
            if (TypeDeclaration().IsMatch(lines[i]))
            {
                var first = i;
                while (first > from && lines[first - 1].StartsWith('['))
                {
                    first--;
                }

                return first;
            }
        }

        return lines.Length;
    }

    /// <summary>
    /// A program's top-level statements must come before its types (CS8803). Once wrapped, the compiler cannot see the
    /// order any more, so it is checked here: after the first type, a line that starts at column 0 must belong to a type.
    /// </summary>
    private static IEnumerable<string> StatementsAfterTypes(DocSnippet snippet, string[] lines, int types)
    {
        for (var i = types; i < lines.Length; i++)
        {
            var line = lines[i];
            if (line.Length > 0 && !char.IsWhiteSpace(line[0]) && !TypeMember().IsMatch(line) && !TypeDeclaration().IsMatch(line))
            {
                yield return $"{snippet.Page}:{snippet.Line + i}: a top-level statement after a type declaration (CS8803): in a program, statements come first and types after them.";
            }
        }
    }

    [GeneratedRegex(@"^using\s+(static\s+)?[\w.]+(\s*=\s*[\w.<>, ]+)?;\s*(//.*)?$")]
    private static partial Regex UsingDirective();

    [GeneratedRegex(@"^((public|internal|file|sealed|static|abstract|partial|readonly|ref|unsafe)\s+)*(class|record|struct|interface|enum|namespace)\b")]
    private static partial Regex TypeDeclaration();

    /// <summary>Lines at column 0 that a type declaration may have: braces, attributes, comments, directives.</summary>
    [GeneratedRegex(@"^([{}\[#]|//|/\*|\*)")]
    private static partial Regex TypeMember();

    [GeneratedRegex(@"[^A-Za-z0-9]")]
    private static partial Regex NonIdentifier();
}
