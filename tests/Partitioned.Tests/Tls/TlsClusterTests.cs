using System.Net.Http.Json;
using System.Security.Authentication;
using Microsoft.Extensions.Logging;
using Partitioned.Client;
using Partitioned.Clustering;
using Partitioned.Coordination;
using Partitioned.Security;
using Xunit.Abstractions;

namespace Partitioned.Tests.Tls;

/// <summary>Automatic TLS on loopback: every listener serves TLS, every caller pins the cluster's authority.</summary>
public sealed class TlsClusterTests(ITestOutputHelper output) : IDisposable
{
    private readonly (ILoggerFactory Factory, CapturingLoggerProvider Logs) _logging = TestLogging.Create(output);

    public void Dispose() => _logging.Factory.Dispose();

    [Fact]
    public async Task StartAsync_Automatic_EveryEndpointIsHttps_AndTheDriversClientsWork()
    {
        await using var cluster = await Clustering.Cluster.StartAsync(TestClusters.Integers(10, 2), TestServers.RowsWith(), Options());

        cluster.Transport.Mode.Should().Be(TransportSecurityMode.Automatic);
        cluster.CoordinatorAddress.Scheme.Should().Be("https");
        cluster.Hosts.Values.Should().OnlyContain(endpoint => endpoint.Scheme == "https");
        (await cluster.GetClient(1).GetFromJsonAsync<int[]>("rows")).Should().Equal(5, 6, 7, 8, 9);
        (await cluster.ScatterGetAsync<int[]>("rows")).Values.SelectMany(static r => r).Should().HaveCount(10);

        // Stop goes through every partition's /control/shutdown over TLS, and the results come back.
        var results = await (await cluster.StopAsync()).CollectAsync();
        results.Should().BeEquivalentTo(Enumerable.Range(0, 10));
    }

    [Fact]
    public async Task PlainHttpClient_WithoutTheClustersAuthority_IsRefused_WhileThePinnedHandlerIsAccepted()
    {
        await using var cluster = await Clustering.Cluster.StartAsync(TestClusters.Integers(4, 1), TestServers.RowsWith(), Options());
        var rows = new Uri(cluster.Hosts[0], "app/rows");

        using var plain = new HttpClient();
        var refused = () => plain.GetAsync(rows);
        (await refused.Should().ThrowAsync<HttpRequestException>()).Which.HttpRequestError.Should().Be(HttpRequestError.SecureConnectionError);

        using var pinned = new HttpClient(cluster.Transport.CreateHttpHandler());
        (await pinned.GetFromJsonAsync<int[]>(rows)).Should().Equal(0, 1, 2, 3);
    }

    [Fact]
    public async Task CoordinatorUnderTls_ServesGrpcOnItsOnePort_AndSaysSoInV1Client()
    {
        var key = ClientKey.Create();
        await using var cluster = await Clustering.Cluster.StartAsync(TestClusters.Integers(4, 1), TestServers.RowsWith(), Options() with { ClientKeys = [key] });
        using var http = new HttpClient(cluster.Transport.CreateHttpHandler()) { BaseAddress = cluster.CoordinatorAddress };
        http.DefaultRequestHeaders.Authorization = new("Bearer", key.Value);

        var discovery = await http.GetFromJsonAsync<System.Text.Json.JsonElement>("v1/client");

        discovery.GetProperty("grpcAddress").GetString().Should().Be(cluster.CoordinatorAddress.ToString());
    }

    [Fact]
    public async Task RemoteClient_WithTheExportedKey_FollowsAndQueries_WithoutIt_CannotConnect()
    {
        var key = ClientKey.Create();
        await using var cluster = await Clustering.Cluster.StartAsync(TestClusters.Integers(4, 2), TestServers.RowsWith(), Options() with { ClientKeys = [key] });
        var exported = key.WithTrustedAuthorities(cluster.Transport.TrustedAuthorities).Export();

        await using (var client = await PartitionedClient.ConnectAsync(cluster.CoordinatorAddress, exported))
        {
            client.Directory.Current.ServingCount.Should().Be(2);
            (await client.GetClient(1).GetFromJsonAsync<int[]>("rows")).Should().Equal(2, 3);
            using var balanced = client.CreateBalancer().CreateClient();
            (await balanced.GetAsync("app/rows")).IsSuccessStatusCode.Should().BeTrue();
        }

        var fast = new PartitionedClientOptions { ConnectTimeout = TimeSpan.FromSeconds(10) };
        var bare = () => PartitionedClient.ConnectAsync(cluster.CoordinatorAddress, key.Value, fast);
        (await bare.Should().ThrowAsync<AuthenticationException>()).Which.Message.Should().Contain("does not trust");

        var otherAuthority = TransportSecurity.Automatic().TrustedAuthorities;
        var wrong = () => PartitionedClient.ConnectAsync(cluster.CoordinatorAddress, ClientKey.Parse(key.Value).WithTrustedAuthorities(otherAuthority), fast);
        await wrong.Should().ThrowAsync<AuthenticationException>();
    }

    [Fact]
    public async Task ProcessRunner_Automatic_WorkersGetTheirCertificatesFromTheCoordinator()
    {
        var options = Options() with { Runner = new ProcessRunner(ProcessRunnerOptions.ForAssembly(TestWorkers.Dll) with { WorkerLogLevel = LogLevel.Debug }) };
        await using var cluster = await Clustering.Cluster.StartAsync(TestClusters.Integers(6, 2), TestServers.RowsWith(), options);

        cluster.Hosts.Values.Should().OnlyContain(endpoint => endpoint.Scheme == "https");
        (await cluster.GetClient(0).GetFromJsonAsync<int[]>("rows")).Should().Equal(0, 1, 2);
        var results = await (await cluster.StopAsync()).CollectAsync();
        results.Should().BeEquivalentTo(Enumerable.Range(0, 6));
        _logging.Logs.Text.Should().Contain("TLS certificate for 127.0.0.1 obtained");
    }

    [Fact]
    public async Task EngineLaunchedWorkers_Automatic_TrustTheAuthorityFromTheirVariables_AndRefuseToStartWithoutIt()
    {
        var folder = Directory.CreateTempSubdirectory("partitioned-tls-engine-").FullName;
        var token = Path.Combine(folder, "token");
        var workers = new List<System.Diagnostics.Process>();
        string? withoutAuthority = null;
        try
        {
            var runner = new ExternalWorkersRunner(async (launch, ct) =>
            {
                await launch.WriteTokenFileAsync(token, ct);
                var variables = launch.WorkerEnvironment(token);
                variables.Should().ContainKey("PARTITIONED_TLS_CA");

                // A worker given everything but the authority cannot trust the coordinator: it refuses to start.
                using (var refused = StartWorker(variables.Where(static v => v.Key != "PARTITIONED_TLS_CA"), 0))
                {
                    withoutAuthority = await refused.StandardError.ReadToEndAsync(ct);
                    await refused.WaitForExitAsync(ct);
                    refused.ExitCode.Should().Be(2);
                }

                for (var partition = 0; partition < launch.PartitionCount; partition++)
                {
                    workers.Add(StartWorker(variables, partition));
                }
            }, workersOnOtherHosts: false);

            await using var cluster = await Clustering.Cluster.StartAsync(TestClusters.Integers(4, 2), TestServers.RowsWith(), Options() with { Runner = runner, StartTimeout = TimeSpan.FromSeconds(90) });

            cluster.Hosts.Values.Should().OnlyContain(endpoint => endpoint.Scheme == "https");
            (await cluster.GetClient(1).GetFromJsonAsync<int[]>("rows")).Should().Equal(2, 3);
            (await (await cluster.StopAsync()).CollectAsync()).Should().BeEquivalentTo(Enumerable.Range(0, 4));
            withoutAuthority.Should().Contain("PARTITIONED_TLS_CA is not set");
        }
        finally
        {
            foreach (var worker in workers)
            {
                worker.Kill(entireProcessTree: true);
                worker.Dispose();
            }

            Directory.Delete(folder, recursive: true);
        }
    }

    private static System.Diagnostics.Process StartWorker(IEnumerable<KeyValuePair<string, string>> variables, int partition)
    {
        var start = new System.Diagnostics.ProcessStartInfo(TestWorkers.Options.Executable!)
        {
            RedirectStandardInput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(TestWorkers.Dll);
        foreach (var (name, value) in variables)
        {
            start.Environment[name] = value;
        }

        start.Environment["PARTITIONED_PARTITION"] = partition.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var process = System.Diagnostics.Process.Start(start)!;
        process.StandardInput.Close();
        return process;
    }

    private ClusterOptions Options() => TestClusters.Options(_logging.Factory) with { Transport = TransportSecurity.Automatic() };
}
