namespace Partitioned.Tests.Docs;

/// <summary>
/// One C# block of the README or a docs page, with what the marker before it says about compiling it
/// (<c>&lt;!-- snippet: KIND; usings: ...; given: ...; packages: ...; sdk: web --&gt;</c>; see README.md in this folder).
/// </summary>
/// <param name="Page">The page, relative to the repository root with forward slashes (<c>docs/guide.md</c>).</param>
/// <param name="Line">The page's line of the block's first line of code (1-based; the fence is the line before).</param>
/// <param name="Kind">How the block is wrapped; <see cref="SnippetKind.Program"/> when it has no marker.</param>
/// <param name="Code">The code between the fences.</param>
public sealed record DocSnippet(string Page, int Line, SnippetKind Kind, string Code)
{
    /// <summary>The packages every block compiles against unless its marker names others: the driver's side, all of it.</summary>
    public static IReadOnlyList<string> DefaultPackages { get; } = ["Partitioned.Serving", "Partitioned.Parquet"];

    /// <summary>Whether the block had a marker (an unmarked block is compiled as a whole program).</summary>
    public bool Marked { get; init; }

    /// <summary>Namespaces the wrapper imports besides the block's own <c>using</c> directives.</summary>
    public IReadOnlyList<string> Usings { get; init; } = [];

    /// <summary>Declarations such as <c>PartitionedDataset&lt;int&gt; dataset</c> the block uses without making: the wrapper's parameters (fields for members).</summary>
    public IReadOnlyList<string> Given { get; init; } = [];

    /// <summary>The packages the block's project references (<see cref="DefaultPackages"/> unless the marker names them).</summary>
    public IReadOnlyList<string> Packages { get; init; } = DefaultPackages;

    /// <summary>The project SDK: <c>Microsoft.NET.Sdk</c> (a console app), or <c>Microsoft.NET.Sdk.Web</c> for <c>sdk: web</c>.</summary>
    public string Sdk { get; init; } = "Microsoft.NET.Sdk";

    /// <summary>How many lines the block has.</summary>
    public int LineCount => Code.Split('\n').Length;

    /// <summary>Whether a page line falls inside the block.</summary>
    public bool Covers(int line) => line >= Line && line < Line + LineCount;

    public override string ToString() => $"{Page}:{Line} ({(Marked ? Kind.ToString().ToLowerInvariant() : "unmarked, so a program")})";
}
