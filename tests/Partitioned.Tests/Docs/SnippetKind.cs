namespace Partitioned.Tests.Docs;

/// <summary>How a C# block of the docs is compiled: the wrapper its marker names.</summary>
public enum SnippetKind
{
    /// <summary>A whole <c>Program.cs</c>: using directives, top-level statements, then types. What an unmarked block is.</summary>
    Program,

    /// <summary>Statements, compiled as the body of an async method whose parameters are the marker's <c>given</c>.</summary>
    Statements,

    /// <summary>Members of a class (methods, properties, fields), compiled inside one whose fields are the marker's <c>given</c>.</summary>
    Members,

    /// <summary>Pseudo-code: shown, never compiled.</summary>
    Pseudo,
}
