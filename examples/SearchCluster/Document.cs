namespace SearchCluster;

/// <summary>One document of the corpus: the rows of the search cluster's dataset.</summary>
/// <param name="Id">A unique id (a generated name, or the file's path relative to the corpus folder).</param>
/// <param name="Title">A short title for display.</param>
/// <param name="Text">The text that is indexed.</param>
public sealed record Document(string Id, string Title, string Text);
