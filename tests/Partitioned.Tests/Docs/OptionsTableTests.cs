using System.Reflection;
using System.Text.RegularExpressions;

namespace Partitioned.Tests.Docs;

/// <summary>
/// The options tables cannot drift from the public API: every public options type of the shipped libraries has exactly
/// one table in the docs, marked <c>&lt;!-- options: TypeName --&gt;</c>, whose first column names exactly the type's
/// public settable properties (several may share a row: <c>`A` / `B`</c>). A setting added without a row, or a row left
/// behind by a removed setting, fails here.
/// </summary>
public sealed partial class OptionsTableTests
{
    [Fact]
    public void EveryOptionsType_HasOneTableInTheDocs_NamingExactlyItsSettings()
    {
        var settings = OptionsTypes()
            .GroupBy(static t => t.Name)
            .ToDictionary(static g => g.Key, static g => g.SelectMany(Settings).ToHashSet(StringComparer.Ordinal));
        var tables = Tables();
        var problems = new List<string>();

        foreach (var (type, names) in settings)
        {
            var found = tables.Where(t => t.Type == type).ToList();
            if (found.Count != 1)
            {
                problems.Add($"{type}: {found.Count} tables marked <!-- options: {type} --> (one is wanted, in docs/guide.md#options-and-defaults){string.Concat(found.Select(static t => $" {t.Where}"))}.");
                continue;
            }

            var table = found[0];
            problems.AddRange(names.Except(table.Names).Order(StringComparer.Ordinal).Select(n => $"{table.Where}: {type}.{n} has no row."));
            problems.AddRange(table.Names.Except(names).Order(StringComparer.Ordinal).Select(n => $"{table.Where}: a row names {type}.{n}, which is not a setting of {type}."));
        }

        problems.AddRange(tables.Where(t => !settings.ContainsKey(t.Type)).Select(static t => $"{t.Where}: <!-- options: {t.Type} --> names no public options type."));
        settings.Keys.Should().Contain(["ClusterOptions", "ServingOptions", "ServiceOptions", "PartitionedClientOptions", "DashboardOptions"]);
        problems.Should().BeEmpty();
    }

    /// <summary>
    /// The shipped libraries' public types named <c>*Options</c> that have settings, apart from the wire contracts
    /// (<c>*.Protocol</c>). The libraries are the projects under src/, loaded by name, so an assembly added there is
    /// covered without a change here.
    /// </summary>
    private static IEnumerable<Type> OptionsTypes() =>
        Directory.GetFiles(Path.Combine(ExampleProcess.RepositoryRoot, "src"), "*.csproj", SearchOption.AllDirectories)
            .Select(static project => Assembly.Load(new AssemblyName(Path.GetFileNameWithoutExtension(project))))
            .SelectMany(static assembly => assembly.GetExportedTypes())
            .Where(static t => t.IsClass && t.Name.EndsWith("Options", StringComparison.Ordinal) && t.Namespace?.EndsWith(".Protocol", StringComparison.Ordinal) != true)
            .Where(static t => Settings(t).Any());

    /// <summary>A type's own public settable properties (inherited ones belong to the base type's table).</summary>
    private static IEnumerable<string> Settings(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
            .Where(static p => p.SetMethod is { IsPublic: true })
            .Select(static p => p.Name);

    private static List<(string Type, string Where, HashSet<string> Names)> Tables()
    {
        var root = ExampleProcess.RepositoryRoot;
        var tables = new List<(string, string, HashSet<string>)>();
        foreach (var page in DocSnippetReader.Pages(root))
        {
            var lines = File.ReadAllLines(page);
            for (var i = 0; i < lines.Length; i++)
            {
                if (Marker().Match(lines[i]) is not { Success: true } marker)
                {
                    continue;
                }

                var where = $"{Path.GetRelativePath(root, page).Replace('\\', '/')}:{i + 1}";
                var rows = lines.Skip(i + 1).TakeWhile(static l => l.StartsWith('|')).Skip(2).ToList();
                rows.Should().NotBeEmpty($"the options marker at {where} stands right before its table");
                var names = rows.SelectMany(static row => Name().Matches(row.Split('|')[1]).Select(static m => m.Groups[1].Value));
                tables.Add((marker.Groups[1].Value, where, names.ToHashSet(StringComparer.Ordinal)));
            }
        }

        return tables;
    }

    [GeneratedRegex(@"^<!--\s*options:\s*(\w+)\s*-->\s*$")]
    private static partial Regex Marker();

    [GeneratedRegex(@"`(\w+)`")]
    private static partial Regex Name();
}
