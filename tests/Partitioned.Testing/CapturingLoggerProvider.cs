using System.Collections.Concurrent;
using System.Text;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Partitioned.Testing;

/// <summary>
/// Sends every log line to the test's output and keeps it in memory, scopes and exception text included,
/// so a test can assert on what was (or was not) logged.
/// </summary>
public sealed class CapturingLoggerProvider(ITestOutputHelper? output = null) : ILoggerProvider, ISupportExternalScope
{
    private readonly ConcurrentQueue<string> _lines = new();
    private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

    /// <summary>Every line logged so far.</summary>
    public IReadOnlyCollection<string> Lines => _lines;

    /// <summary>All lines as one text.</summary>
    public string Text => string.Join(Environment.NewLine, _lines);

    public ILogger CreateLogger(string categoryName) => new CapturingLogger(this, categoryName);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose()
    {
    }

    private void Write(string line)
    {
        _lines.Enqueue(line);
        try
        {
            output?.WriteLine(line);
        }
        catch (InvalidOperationException)
        {
            // The test already finished; a late log line from a background task is kept in memory only.
        }
    }

    private sealed class CapturingLogger(CapturingLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => provider._scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var line = new StringBuilder()
                .Append(DateTime.UtcNow.ToString("HH:mm:ss.fff", System.Globalization.CultureInfo.InvariantCulture))
                .Append(' ').Append(logLevel.ToString()[..4]).Append(' ').Append(category).Append(": ");
            provider._scopes.ForEachScope((scope, builder) => builder.Append('[').Append(scope).Append("] "), line);
            line.Append(formatter(state, exception));
            if (exception is not null)
            {
                line.AppendLine().Append(exception);
            }

            provider.Write(line.ToString());
        }
    }
}
