namespace Partitioned.Shared;

/// <summary>A hand-written reader of one JSON shape; it throws <see cref="System.Text.Json.JsonException"/> saying what is wrong.</summary>
internal delegate T Utf8JsonParser<out T>(ReadOnlyMemory<byte> json);
