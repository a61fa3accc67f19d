using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Partitioned.Testing;

/// <summary>Logger factories for tests: everything at Trace level, into the test output and a capture.</summary>
public static class TestLogging
{
    public static (ILoggerFactory Factory, CapturingLoggerProvider Capture) Create(ITestOutputHelper? output, LogLevel minimum = LogLevel.Trace)
    {
        var capture = new CapturingLoggerProvider(output);
        var factory = LoggerFactory.Create(builder => builder.SetMinimumLevel(minimum).AddProvider(capture));
        return (factory, capture);
    }
}
