using System.Text.Json;
using System.Text.Json.Serialization;

namespace Partitioned.Shared;

/// <summary>
/// JSON settings of the control protocol: camelCase names, enums as camelCase strings, and strict
/// reading, so a missing required field or a null where none is allowed is an error, never a default.
/// </summary>
internal static class ProtocolJson
{
    public static JsonSerializerOptions Options { get; } = Create();

    /// <summary>The strict reading rules on top of the web defaults, for user types too.</summary>
    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            RespectNullableAnnotations = true,
            RespectRequiredConstructorParameters = true,
        };
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase));
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
