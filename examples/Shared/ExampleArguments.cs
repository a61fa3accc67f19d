namespace Partitioned.Examples;

/// <summary>The examples' few command-line options: <c>--name value</c>.</summary>
internal sealed class ExampleArguments(string[] args)
{
    public string? Get(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();

    public int GetInt(string name, int fallback) => int.TryParse(Get(name), out var value) ? value : fallback;
}
