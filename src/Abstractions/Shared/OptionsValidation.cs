using Microsoft.Extensions.Options;

namespace Partitioned.Shared;

/// <summary>Collects every problem with an options object, then fails once with all of them.</summary>
internal sealed class OptionsValidation(string optionsName)
{
    private readonly List<string> _failures = [];

    public void Require(bool condition, string failure)
    {
        if (!condition)
        {
            _failures.Add(AsListItem(failure));
        }
    }

    public void Add(IEnumerable<string> failures) => _failures.AddRange(failures.Select(AsListItem));

    /// <summary>Requires an IP literal Kestrel can bind (host names are refused: they would bind whatever they resolve to).</summary>
    public void RequireBindAddress(string setting, string? value) =>
        Require(BindAddress.TryParse(value, out _), $"{setting} must be an IP address such as 127.0.0.1 or 0.0.0.0 (was '{value}').");

    /// <summary>Requires a TCP port, or 0 for any free one.</summary>
    public void RequirePort(string setting, int value) =>
        Require(value is >= 0 and <= 65535, $"{setting} must be between 0 and 65535 (was {value}).");

    public IReadOnlyList<string> Failures => _failures;

    // OptionsValidationException joins the failures with "; ", so a failure worded as a sentence would read ".;".
    private static string AsListItem(string failure) => failure.TrimEnd().TrimEnd('.');

    /// <exception cref="OptionsValidationException">One or more settings are invalid; the message lists each, naming the setting.</exception>
    public void ThrowIfInvalid()
    {
        if (_failures.Count > 0)
        {
            throw new OptionsValidationException(optionsName, typeof(OptionsValidation), _failures);
        }
    }
}
