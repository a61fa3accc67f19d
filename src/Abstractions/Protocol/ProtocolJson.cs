using System.Text.Json;
using System.Text.Json.Serialization;

namespace Partitioned.Protocol;

/// <summary>
/// JSON settings of every surface the library reads: camelCase names (matched case-insensitively), enums as
/// camelCase strings, and strict values, so a missing required field, a null where none is allowed, a number sent
/// as a string or a property given twice is an error, never a default or a guess.
/// </summary>
/// <remarks>
/// Two variants differ in one rule only. <see cref="Options"/> (the control and worker protocols, the serving wire,
/// rows and results) ignores properties it does not know, so a newer peer can add fields an older one skips.
/// <see cref="RequestOptions"/> (serving request bodies, typed by people) refuses them, because a misspelt
/// optional property would otherwise become a silent default.
/// </remarks>
internal static class ProtocolJson
{
    public static JsonSerializerOptions Options { get; } = Create(JsonUnmappedMemberHandling.Skip);

    public static JsonSerializerOptions RequestOptions { get; } = Create(JsonUnmappedMemberHandling.Disallow);

    /// <summary>Applies the strict value rules to options made elsewhere (the framework's, for minimal-API routes).</summary>
    public static void ApplyStrictRules(JsonSerializerOptions options)
    {
        // The web defaults read numbers from strings ("1" for 1); the protocol does not.
        options.NumberHandling = JsonNumberHandling.Strict;
        options.RespectNullableAnnotations = true;
        options.RespectRequiredConstructorParameters = true;
        options.AllowDuplicateProperties = false;
    }

    private static JsonSerializerOptions Create(JsonUnmappedMemberHandling unmapped)
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web) { UnmappedMemberHandling = unmapped };
        ApplyStrictRules(options);
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false));
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
