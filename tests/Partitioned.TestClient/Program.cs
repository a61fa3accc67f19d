using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Grpc.Core;
using Grpc.Net.Client;
using Partitioned.Client;
using Partitioned.Routing;
using Partitioned.Security;

// follow <coordinator address>: connects with the key in PARTITIONED_CLIENT_KEY, queries every partition, tries every
// control action (each must be refused), then prints every directory change until its standard input closes.
// The key comes in PARTITIONED_CLIENT_KEY, or in the file PARTITIONED_CLIENT_KEY_FILE names (a launcher such as srun
// sends its environment over the network in cleartext).
var exported = Environment.GetEnvironmentVariable("PARTITIONED_CLIENT_KEY_FILE") is { Length: > 0 } keyFile
    ? File.ReadAllText(keyFile).Trim()
    : Environment.GetEnvironmentVariable("PARTITIONED_CLIENT_KEY");
if (args is not ["follow", var address] || exported is not { Length: > 0 })
{
    Console.Error.WriteLine("usage: PARTITIONED_CLIENT_KEY=<key> (or PARTITIONED_CLIENT_KEY_FILE=<file>) Partitioned.TestClient follow <coordinator address>");
    return 2;
}

// The key may be exported with the authorities a TLS cluster's certificates chain to: the client trusts only those.
var clientKey = ClientKey.Parse(exported);
var key = clientKey.Value;
var coordinator = new Uri(address);
await using var client = await PartitionedClient.ConnectAsync(coordinator, clientKey);
var changes = client.Directory.WatchAsync();
var connectedAt = client.Directory.Current;
Console.WriteLine(Line($"connected version={connectedAt.Version} serving={connectedAt.ServingCount} partitions={connectedAt.PartitionCount}"));

// Every partition, directly.
var infos = await client.ScatterGetAsync<JsonElement>("info", new ScatterOptions { RequireAll = true });
foreach (var reply in infos)
{
    Console.WriteLine(Line($"query partition={reply.Partition} pid={reply.Value.GetProperty("processId").GetInt32()}"));
}

// The balancer over serving routes has the driver's shape: it picks a live partition.
var balancer = client.CreateBalancer();
Console.WriteLine(Line($"balancer policy={balancer.Policy} picked={balancer.TryPick(out var picked, out _)} partition={picked}"));
balancer.Complete(picked, reached: true);

// Control actions with the key: every one refused.
using var http = new HttpClient(Trusting(clientKey.TrustedAuthorities));
await CheckAsync("register", HttpMethod.Post, new Uri(coordinator, "v1/register"), key, """{"partition":0,"attempt":9,"endpoint":"http://127.0.0.1:1/"}""");
await CheckAsync("failures", HttpMethod.Post, new Uri(coordinator, "v1/failures"), key, """{"partition":0,"attempt":0,"message":"x"}""");
await CheckAsync("attempts", HttpMethod.Post, new Uri(coordinator, "v1/attempts/0"), key, null);
await CheckAsync("rows", HttpMethod.Get, new Uri(coordinator, "v1/attempts/0/0/rows"), key, null);
await CheckAsync("shutdown", HttpMethod.Post, new Uri(client.Hosts[0], "control/shutdown"), key, null);
await CheckAsync("health", HttpMethod.Get, new Uri(client.Hosts[0], "control/health"), key, null);
await CheckAsync("hosts", HttpMethod.Get, new Uri(coordinator, "v1/hosts"), key, null);

// Without a key: nothing.
await CheckAsync("nokey-hosts", HttpMethod.Get, new Uri(coordinator, "v1/hosts"), null, null);
await CheckAsync("nokey-client", HttpMethod.Get, new Uri(coordinator, "v1/client"), null, null);
await CheckAsync("nokey-status", HttpMethod.Get, new Uri(coordinator, "v1/status"), null, null);
await CheckGrpcAsync("nokey-grpc", null);
await CheckGrpcAsync("badkey-grpc", "not-a-key-of-this-cluster");
try
{
    await using var refused = await PartitionedClient.ConnectAsync(coordinator, ClientKey.Parse("not-a-key-of-this-cluster").WithTrustedAuthorities(clientKey.TrustedAuthorities));
    Console.WriteLine(Line("badkey-connect accepted"));
}
catch (ClusterGoneException ex)
{
    Console.WriteLine(Line($"badkey-connect refused: {ex.Message}"));
}

Console.WriteLine(Line("ready"));

// Follow until stdin closes (the test's end of session) or the cluster is gone.
using var stop = new CancellationTokenSource();
_ = Task.Run(async () =>
{
    await Console.In.ReadToEndAsync();
    await stop.CancelAsync();
});
_ = client.Gone.ContinueWith(gone => { Console.WriteLine(Line($"gone {gone.Result.Message}")); stop.Cancel(); }, TaskScheduler.Default);
try
{
    await foreach (var change in changes.WithCancellation(stop.Token))
    {
        var entry = change.Current;
        Console.WriteLine(Line(string.Create(CultureInfo.InvariantCulture,
            $"change version={change.Snapshot.Version} partition={entry.Partition} kind={change.Kind} state={entry.State} attempt={entry.Attempt} connections={client.Connections}")));
    }
}
catch (OperationCanceledException)
{
}

Console.WriteLine(Line("bye"));
return 0;

async Task CheckAsync(string name, HttpMethod method, Uri uri, string? bearer, string? json)
{
    using var request = new HttpRequestMessage(method, uri);
    if (bearer is not null)
    {
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
    }

    if (json is not null)
    {
        request.Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");
    }

    using var response = await http.SendAsync(request);
    Console.WriteLine(Line($"check {name} {(int)response.StatusCode}"));
}

async Task CheckGrpcAsync(string name, string? bearer)
{
    var discovery = JsonDocument.Parse(await SendWithKeyAsync(new Uri(coordinator, "v1/client")));
    using var channel = GrpcChannel.ForAddress(discovery.RootElement.GetProperty("grpcAddress").GetString()!, new GrpcChannelOptions { HttpHandler = Trusting(clientKey.TrustedAuthorities) });
    var headers = bearer is null ? new Metadata() : new Metadata { { "authorization", "Bearer " + bearer } };
    try
    {
        // The raw wire contract, with an empty request message (GetSnapshotRequest has no fields).
        var call = channel.CreateCallInvoker().AsyncUnaryCall(
            new Method<byte[], byte[]>(MethodType.Unary, "partitioned.v1.PartitionDirectory", "GetSnapshot", Marshallers.Create(b => b, b => b), Marshallers.Create(b => b, b => b)),
            null,
            new CallOptions(headers),
            []);
        await call;
        Console.WriteLine(Line($"check {name} OK"));
    }
    catch (RpcException ex)
    {
        Console.WriteLine(Line($"check {name} {ex.StatusCode}"));
    }
}

async Task<string> SendWithKeyAsync(Uri uri)
{
    using var request = new HttpRequestMessage(HttpMethod.Get, uri);
    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
    using var response = await http.SendAsync(request);
    return await response.Content.ReadAsStringAsync();
}

static string Line(string text) => "client: " + text;

// A handler that trusts only the given authorities (none: the machine's store) and checks the host's name, as the library's own clients do.
static SocketsHttpHandler Trusting(IReadOnlyList<X509Certificate2> authorities)
{
    var handler = new SocketsHttpHandler();
    if (authorities.Count > 0)
    {
        handler.SslOptions.RemoteCertificateValidationCallback = (sender, certificate, _, _) =>
        {
            if (certificate is not X509Certificate2 leaf || sender is not System.Net.Security.SslStream stream)
            {
                return false;
            }

            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(authorities.ToArray());
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return chain.Build(leaf) && leaf.MatchesHostname(stream.TargetHostName.Trim('[', ']'), allowWildcards: true, allowCommonName: false);
        };
    }

    return handler;
}
