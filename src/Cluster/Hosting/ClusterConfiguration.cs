using System.Globalization;
using Microsoft.Extensions.Configuration;
using Partitioned.Coordination;
using Partitioned.Security;
using Partitioned.Server;

namespace Partitioned.Clustering;

/// <summary>
/// Reads <see cref="ClusterOptions"/> from a configuration section (appsettings.json, environment variables...):
/// every plain setting by name (<c>MaxAttempts</c>, <c>StartTimeout</c> as <c>00:01:00</c>, <c>Server:BindAddress</c>),
/// plus <c>Runner</c> by name (<c>in-process</c>, <c>process</c>, <c>slurm</c>) with its options in <c>Process</c> or
/// <c>Slurm</c>, <c>Server:Ports</c> as <c>0</c>, <c>5000</c> or <c>5000-5010</c>, and <c>ClientKeys</c> as a list of
/// key values (from a secret store: user secrets, environment variables, a vault provider), and <c>Transport</c> as
/// <c>cleartext</c>, <c>automatic</c> or <c>tls</c> (then <c>Tls:DriverCertificate</c>, <c>Tls:DriverKey</c>,
/// <c>Tls:TrustedAuthorities</c>, <c>Tls:PartitionCertificate</c>, <c>Tls:PartitionKey</c>: file paths). A key that names no setting
/// is an error, so a misspelt setting is never silently ignored.
/// </summary>
internal static class ClusterConfiguration
{
    private const string RunnerKey = "Runner";
    private const string ProcessKey = "Process";
    private const string SlurmKey = "Slurm";
    private const string PortsKey = "Server:Ports";
    private const string ClientKeysKey = "ClientKeys";
    private const string TransportKey = "Transport";
    private const string TlsKey = "Tls";

    /// <exception cref="InvalidOperationException">A key names no setting, or a value does not fit its setting; the message says which.</exception>
    public static ClusterOptions Apply(IConfiguration section, ClusterOptions options)
    {
        // The binder sets init-only properties on a copy; the keys it cannot read are handled below.
        var copy = options with { Server = options.Server with { } };
        var plain = new ConfigurationBuilder()
            .AddInMemoryCollection(section.AsEnumerable(makePathsRelative: true).Where(static pair => pair.Value is not null && !IsSpecial(pair.Key)))
            .Build();
        try
        {
            plain.Bind(copy, static binder => binder.ErrorOnUnknownConfiguration = true);
        }
        catch (InvalidOperationException ex)
        {
            throw new InvalidOperationException($"The cluster configuration '{Path(section)}' is invalid: {ex.Message}", ex);
        }

        if (section[PortsKey] is { Length: > 0 } ports)
        {
            copy = copy with { Server = copy.Server with { Ports = ParsePorts(ports, section) } };
        }

        if (section.GetSection(ClientKeysKey).GetChildren().ToList() is { Count: > 0 } keys)
        {
            copy = copy with { ClientKeys = [.. ReadClientKeys(keys, section)] };
        }

        if (section[TransportKey] is { Length: > 0 } transport)
        {
            copy = copy with { Transport = CreateTransport(transport, section) };
        }

        return section[RunnerKey] is { Length: > 0 } runner ? copy with { Runner = CreateRunner(runner, section) } : copy;
    }

    // The message names the key's configuration path, never its value: configuration errors end up in logs.
    private static IEnumerable<ClientKey> ReadClientKeys(List<IConfigurationSection> keys, IConfiguration section)
    {
        var problems = new List<string>();
        var read = new List<ClientKey>();
        foreach (var key in keys)
        {
            try
            {
                read.Add(ClientKey.FromValue(key.Value ?? string.Empty));
            }
            catch (ArgumentException)
            {
                problems.Add($"{key.Path} must be a client key of at least 16 characters without whitespace or control characters");
            }
        }

        return problems.Count == 0 ? read
            : throw new InvalidOperationException($"The cluster configuration '{Path(section)}' is invalid: {string.Join("; ", problems)} (the values are not shown).");
    }

    private static bool IsSpecial(string key) =>
        key.Equals(RunnerKey, StringComparison.OrdinalIgnoreCase) || key.Equals(PortsKey, StringComparison.OrdinalIgnoreCase)
        || key.Equals(ClientKeysKey, StringComparison.OrdinalIgnoreCase) || key.StartsWith(ClientKeysKey + ":", StringComparison.OrdinalIgnoreCase)
        || key.StartsWith(ProcessKey, StringComparison.OrdinalIgnoreCase) || key.StartsWith(SlurmKey, StringComparison.OrdinalIgnoreCase)
        || key.Equals(TransportKey, StringComparison.OrdinalIgnoreCase) || key.StartsWith(TlsKey + ":", StringComparison.OrdinalIgnoreCase) || key.Equals(TlsKey, StringComparison.OrdinalIgnoreCase);

    private static TransportSecurity CreateTransport(string name, IConfiguration section)
    {
        var tls = section.GetSection(TlsKey);
        switch (name.ToLowerInvariant())
        {
            case "cleartext":
                return TransportSecurity.Cleartext;
            case "automatic":
                return TransportSecurity.Automatic();
            case "tls":
                var missing = new[] { "DriverCertificate", "TrustedAuthorities", "PartitionCertificate" }.Where(k => string.IsNullOrWhiteSpace(tls[k])).Select(k => $"{TlsKey}:{k}").ToList();
                if (missing.Count > 0)
                {
                    throw new InvalidOperationException($"The cluster configuration '{Path(section)}' is invalid: {TransportKey} tls needs {string.Join(", ", missing)} (file paths).");
                }

                try
                {
                    return TransportSecurity.Tls(tls["DriverCertificate"]!, tls["DriverKey"], tls["TrustedAuthorities"]!, new PartitionCertificateFiles(tls["PartitionCertificate"]!, tls["PartitionKey"]));
                }
                catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
                {
                    throw new InvalidOperationException($"The cluster configuration '{Path(section)}' is invalid: {ex.Message}", ex);
                }

            default:
                throw new InvalidOperationException($"The cluster configuration '{Path(section)}' is invalid: {TransportKey} must be cleartext, automatic or tls (was '{name}').");
        }
    }

    private static IPartitionRunner CreateRunner(string name, IConfiguration section) => name.ToLowerInvariant() switch
    {
        "in-process" => InProcessRunner.Instance,
        "process" => new ProcessRunner(Bind(section.GetSection(ProcessKey), new ProcessRunnerOptions())),
        "slurm" => new SlurmRunner(Bind(section.GetSection(SlurmKey), new SlurmRunnerOptions())),
        _ => throw new InvalidOperationException($"The cluster configuration '{Path(section)}' is invalid: {RunnerKey} must be in-process, process or slurm (was '{name}')."),
    };

    private static T Bind<T>(IConfigurationSection section, T options)
        where T : class
    {
        try
        {
            section.Bind(options, static binder => binder.ErrorOnUnknownConfiguration = true);
            return options;
        }
        catch (InvalidOperationException ex)
        {
            throw new InvalidOperationException($"The runner configuration '{section.Path}' is invalid: {ex.Message}", ex);
        }
    }

    private static PortRange ParsePorts(string text, IConfiguration section)
    {
        var parts = text.Split('-', 2, StringSplitOptions.TrimEntries);
        if (int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var first))
        {
            if (parts.Length == 1)
            {
                return new PortRange(first, first);
            }

            if (int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var last))
            {
                return new PortRange(first, last);
            }
        }

        throw new InvalidOperationException($"The cluster configuration '{Path(section)}' is invalid: {PortsKey} must be 0, a port such as 5000, or a range such as 5000-5010 (was '{text}').");
    }

    private static string Path(IConfiguration section) => section is IConfigurationSection named ? named.Path : "(root)";
}
