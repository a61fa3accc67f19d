using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Partitioned.Testing;

/// <summary>Logger factories for tests: everything at Trace level, into the test output and a capture.</summary>
public static class TestLogging
{
    public static (ILoggerFactory Factory, CapturingLoggerProvider Capture) Create(ITestOutputHelper? output, LogLevel minimum = LogLevel.Trace) =>
        Create(output, minimum, []);

    /// <summary>Logs at <paramref name="minimum"/>, except the categories of <paramref name="detailed"/> (prefixes), which log everything.</summary>
    public static (ILoggerFactory Factory, CapturingLoggerProvider Capture) Create(ITestOutputHelper? output, LogLevel minimum, params string[] detailed)
    {
        var capture = new CapturingLoggerProvider(output);
        var factory = LoggerFactory.Create(builder =>
        {
            builder.SetMinimumLevel(LogLevel.Trace).AddProvider(capture);
            builder.AddFilter((category, level) => level >= minimum || detailed.Any(prefix => category?.StartsWith(prefix, StringComparison.Ordinal) == true));
        });
        return (factory, capture);
    }
}
