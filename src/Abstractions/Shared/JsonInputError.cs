namespace Partitioned.Shared;

/// <summary>What was wrong with a JSON input: where (a JSON path such as <c>$.bar</c>, or null for the input as a whole) and why.</summary>
internal readonly record struct JsonInputError(string? Path, string Reason)
{
    /// <summary>One sentence for a client: <c>Invalid request body at $.bar: expected Int32, got "x" (a string).</c></summary>
    /// <param name="subject">What the input was, as the sentence names it: "request body", "replies".</param>
    public string Describe(string subject) =>
        Path is null ? $"Invalid {subject}: {Sentence(Reason)}" : $"Invalid {subject} at {Path}: {Sentence(Reason)}";

    /// <summary>The reason with its place, for a caller that names the input itself (<c>line 2 is not a valid Int32: ...</c>).</summary>
    public override string ToString() => Path is null ? Sentence(Reason) : $"{Reason.TrimEnd('.')} (at {Path}).";

    private static string Sentence(string reason) => reason.EndsWith('.') ? reason : reason + ".";
}
