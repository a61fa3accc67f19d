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
            _failures.Add(failure);
        }
    }

    public void Add(IEnumerable<string> failures) => _failures.AddRange(failures);

    public IReadOnlyList<string> Failures => _failures;

    /// <exception cref="OptionsValidationException">One or more settings are invalid; the message lists each, naming the setting.</exception>
    public void ThrowIfInvalid()
    {
        if (_failures.Count > 0)
        {
            throw new OptionsValidationException(optionsName, typeof(OptionsValidation), _failures);
        }
    }
}
