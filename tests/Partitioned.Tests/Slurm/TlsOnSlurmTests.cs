using System.Diagnostics;
using System.Net.Http.Json;
using Microsoft.Extensions.Logging;
using Partitioned.Clustering;
using Partitioned.Coordination;
using Partitioned.Security;
using Partitioned.Serving;
using Partitioned.Testing.Slurm;
using Xunit.Abstractions;

namespace Partitioned.Tests.Slurm;

/// <summary>
/// What crosses the cluster network, read off the wire: tcpdump on the bridge of the local Slurm cluster while a serving
/// cluster runs on its nodes, the driver and the gateway send requests with a marker in their bodies, and a remote client
/// on a node connects with its key. Under automatic TLS none of the token, the key or the marker may appear in the
/// capture; in cleartext (opted into) all three do, which shows the capture would see them.
/// </summary>
[Collection(SlurmCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class TlsOnSlurmTests : IDisposable
{
    private readonly LocalSlurmCluster _slurm;
    private readonly ITestOutputHelper _output;
    private readonly ILoggerFactory _loggerFactory;
    private readonly string _folder = Directory.CreateTempSubdirectory("partitioned-capture-").FullName;

    public TlsOnSlurmTests(SlurmFixture fixture, ITestOutputHelper output)
    {
        _slurm = fixture.Cluster;
        _output = output;
        (_loggerFactory, _) = TestLogging.Create(output, LogLevel.Information);
    }

    public void Dispose()
    {
        _loggerFactory.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Capture_OnTheClusterNetwork_TokenKeyAndBodiesAreReadableOnlyInCleartext(bool automaticTls)
    {
        Assert.True(_slurm.Mode == "netns", "capturing the cluster network needs nodes in network namespaces; this machine could not make them (see scripts/slurm-local.sh)");
        await PacketCapture.EnsureInstalledAsync();
        var key = ClientKey.Create();
        var marker = "capture-marker-" + Guid.NewGuid().ToString("N");
        var options = _slurm.ClusterOptions(_loggerFactory) with
        {
            ClientKeys = [key],
            Transport = automaticTls ? TransportSecurity.Automatic(driverHosts: [_slurm.HostAddress]) : TransportSecurity.Cleartext,
            AllowCleartextAcrossHosts = !automaticTls,
        };

        string token;
        byte[] captured;
        await using (var capture = await PacketCapture.StartAsync(_slurm.Bridge, Path.Combine(_folder, "bridge.pcap")))
        {
            await using (var serving = await ServingCluster.StartAsync(TestClusters.Integers(6, 3), TestServers.ServingWith(), new ServingOptions(), options))
            {
                token = serving.Cluster.Token.Value;
                serving.Cluster.Hosts.Values.Should().OnlyContain(endpoint => endpoint.Scheme == (automaticTls ? "https" : "http"));

                // Bodies with the marker: through the gateway (which relays them to the nodes) and from the driver to each partition.
                using var front = new HttpClient(serving.Cluster.Transport.CreateHttpHandler()) { BaseAddress = serving.Address };
                for (var i = 0; i < 6; i++)
                {
                    (await front.PostAsJsonAsync("serve/hello", new HelloRequest(marker, i))).EnsureSuccessStatusCode();
                }

                using var direct = new HttpClient(serving.Cluster.Transport.CreateHttpHandler());
                foreach (var endpoint in serving.Cluster.Hosts.Values)
                {
                    (await direct.PostAsJsonAsync(new Uri(endpoint, "serve/hello"), new HelloRequest(marker, 0))).EnsureSuccessStatusCode();
                }

                // A remote client on a node: the key crosses the network to the coordinator and the partitions.
                await RunRemoteClientOnANodeAsync(serving.Cluster.CoordinatorAddress, key.WithTrustedAuthorities(serving.Cluster.Transport.TrustedAuthorities));
                await serving.StopAsync();
            }

            captured = await capture.StopAsync();
        }

        _output.WriteLine($"captured {captured.Length} bytes on {_slurm.Bridge} ({(automaticTls ? "automatic TLS" : "cleartext")})");
        captured.Length.Should().BeGreaterThan(50_000, "the capture saw the cluster's traffic: registrations, rows, results, health checks, requests");
        var found = new Dictionary<string, bool>
        {
            ["the cluster token"] = PacketCapture.Contains(captured, token),
            ["the client key"] = PacketCapture.Contains(captured, key.Value),
            ["the marker in request bodies"] = PacketCapture.Contains(captured, marker),
        };
        found.Should().OnlyContain(f => f.Value == !automaticTls, automaticTls
            ? "nothing secret or private may cross the cluster network readable under TLS"
            : "in cleartext the capture sees all three, so the TLS case's check can fail");
    }

    /// <summary>Runs the test client (Partitioned.Client) on node n2 through srun, with the key in a 0600 file, until it says it is ready.</summary>
    private async Task RunRemoteClientOnANodeAsync(Uri coordinator, ClientKey key)
    {
        var keyFile = Path.Combine(_folder, "client-key");
        await File.WriteAllTextAsync(keyFile, key.Export());
        File.SetUnixFileMode(keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var start = new ProcessStartInfo("srun") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "--nodes=1", "--ntasks=1", "--nodelist=n2", "--input=all", "--job-name=partitioned-capture-client", "--", TestWorkers.Options.Executable!, ExampleProcess.DllOf("tests", "Partitioned.TestClient"), "follow", coordinator.ToString() })
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["SLURM_CONF"] = _slurm.ConfigFile;
        start.Environment["PARTITIONED_CLIENT_KEY_FILE"] = keyFile;
        using var client = Process.Start(start)!;
        var error = client.StandardError.ReadToEndAsync();
        var lines = new List<string>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        while (await client.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            _output.WriteLine(line);
            lines.Add(line);
            if (line == "client: ready")
            {
                break;
            }
        }

        client.StandardInput.Close();
        await client.WaitForExitAsync(timeout.Token);
        lines.Should().Contain("client: ready", await error);
        lines.Should().Contain(static l => l.StartsWith("client: query partition=2", StringComparison.Ordinal));
    }
}
