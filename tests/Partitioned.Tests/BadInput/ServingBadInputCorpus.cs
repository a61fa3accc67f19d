using static Partitioned.Tests.BadInput.BadBodies;

namespace Partitioned.Tests.BadInput;

/// <summary>
/// What clients get wrong, sent to the "hello" service (<c>{"foo": string, "bar": int}</c>), with what every way in
/// must answer. The same corpus runs against a partition, the gateway and the head-node ingress.
/// </summary>
internal static class ServingBadInputCorpus
{
    public const string Valid = """{"foo":"abc","bar":1}""";

    public static IEnumerable<BadInputCase> For(long limit) =>
    [
        BadInputCase.Of("malformed JSON (an object cut short)", """{"foo":"abc","bar":""", 400, "Invalid request body"),
        BadInputCase.Of("a bare word", "hello", 400, "Invalid request body", "'h'"),
        BadInputCase.Of("an empty body", "", 400, "empty"),
        BadInputCase.Of("only whitespace", " \r\n\t ", 400, "empty"),
        BadInputCase.Of("null", "null", 400, "null", "HelloRequest"),
        BadInputCase.Of("an array instead of an object", "[1,2]", 400, "expected HelloRequest", "[1,2] (an array)"),
        BadInputCase.Of("a string instead of an object", "\"abc\"", 400, "expected HelloRequest", "(a string)"),
        BadInputCase.Of("a number where a string belongs", """{"foo":1,"bar":1}""", 400, "$.foo", "expected String, got 1 (a number)"),
        BadInputCase.Of("a number sent as a string", """{"foo":"abc","bar":"1"}""", 400, "$.bar", "expected Int32, got \"1\" (a string)"),
        BadInputCase.Of("a fraction for an integer", """{"foo":"abc","bar":1.5}""", 400, "$.bar", "expected Int32, got 1.5 (a number)"),
        BadInputCase.Of("an integer out of range", """{"foo":"abc","bar":1e99}""", 400, "$.bar", "expected Int32"),
        BadInputCase.Of("an object where a number belongs", """{"foo":"abc","bar":{}}""", 400, "$.bar", "expected Int32, got {} (an object)"),
        BadInputCase.Of("a missing field", """{"foo":"abc"}""", 400, "missing required properties", "bar"),
        BadInputCase.Of("null for a field that allows none", """{"foo":null,"bar":1}""", 400, "$.foo", "null is not allowed", "String"),
        BadInputCase.Of("an extra field", """{"foo":"abc","bar":1,"baz":true}""", 400, "$.baz", "unknown property 'baz'", "foo, bar"),
        BadInputCase.Of("a field given twice", """{"foo":"abc","bar":1,"bar":2}""", 400, "$.bar", "'bar' is given twice"),
        BadInputCase.Of("something after the value", Valid + " {}", 400, "invalid after a single JSON value"),
        BadInputCase.Of($"{DeepNesting:N0} levels of nesting in a field", $$"""{"foo":{{Nested()}},"bar":1}""", 400, "nested", "maximum depth"),
        BadInputCase.Of($"{DeepNesting:N0} levels of nesting", Nested(), 400, "nested", "maximum depth"),
        BadInputCase.Bytes("invalid UTF-8 inside a string", Splice("""{"foo":"a""", [0xFF], "\",\"bar\":1}"), 400, "not valid UTF-8", "0xFF"),
        BadInputCase.Bytes("a cut UTF-8 sequence inside a string", Splice("""{"foo":"a""", [0xC3], "\",\"bar\":1}"), 400, "not valid UTF-8", "0xC3"),
        BadInputCase.Bytes("invalid UTF-8 outside a string", Splice("""{"foo":"a",""", [0xFF], "\"bar\":1}"), 400, "not valid UTF-8", "0xFF"),
        BadInputCase.Of("a lone high surrogate", """{"foo":"\ud800","bar":1}""", 400, "$.foo", "unpaired surrogate"),
        BadInputCase.Of("a lone low surrogate", """{"foo":"x\udc00","bar":1}""", 400, "$.foo", "unpaired surrogate"),
        new("a body exactly at the limit", PaddedTo(Valid, limit), BadInputCase.Json, 200),
        new("a body one byte over the limit", PaddedTo(Valid, limit + 1), BadInputCase.Json, 413, "larger than", limit.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        new("JSON sent as text/plain", Utf8(Valid), "text/plain; charset=utf-8", 415, "text/plain", "application/json"),
        new("form data", Utf8("foo=abc&bar=1"), "application/x-www-form-urlencoded", 415, "application/x-www-form-urlencoded", "application/json"),
        new("JSON declared as UTF-16", Utf8(Valid), "application/json; charset=utf-16", 415, "utf-16", "UTF-8"),
        new("JSON with no Content-Type", Utf8(Valid), null, 200),
        new("JSON as application/*+json", Utf8(Valid), "application/vnd.example+json", 200),
        new("GET", null, null, 405, "GET", "POST") { Method = HttpMethod.Get },
        new("PUT", Utf8(Valid), BadInputCase.Json, 405, "PUT", "POST") { Method = HttpMethod.Put },
        BadInputCase.Of("a good request", Valid, 200),
    ];
}
