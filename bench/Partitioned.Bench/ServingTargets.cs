using System.Diagnostics;
using System.Net.Sockets;
using Partitioned.Clustering;
using Partitioned.Coordination;
using Partitioned.Datasets;
using Partitioned.Serving;

namespace Partitioned.Bench;

/// <summary>Something wrk can load: it starts, says which URL to POST to, and stops.</summary>
internal interface IServingTarget : IAsyncDisposable
{
    string Name { get; }

    /// <summary>The wrk script (in the bench folder) that sends its request.</summary>
    string Script => "post.lua";

    Task<Uri> StartAsync();
}

/// <summary>
/// The limit on this machine: a plain ASP.NET Core minimal-API endpoint doing the same work, logging off. With a
/// transport, over TLS with the driver certificate of that transport (the baseline of the TLS targets).
/// </summary>
internal sealed class BareKestrelTarget(TransportSecurity? tls = null) : IServingTarget
{
    private WebApplication? _app;

    public string Name => tls is null ? Report.Baseline : Report.TlsBaseline;

    public async Task<Uri> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (tls?.DriverCertificate is { } certificate)
        {
            builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(System.Net.IPAddress.Loopback, 0, listen => listen.UseHttps(certificate)));
        }
        else
        {
            builder.WebHost.UseUrls("http://127.0.0.1:0");
        }

        _app = builder.Build();
        _app.MapPost("/hello", (HelloRequest request) => new HelloReply(request.Foo.Length));
        await _app.StartAsync();
        var bound = new Uri(_app.Urls.First());
        return new Uri($"{bound.Scheme}://127.0.0.1:{bound.Port}/hello");
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}

/// <summary>Our distributed mode, straight to one partition's <c>/serve/{service}</c> (no gateway); over TLS with a transport.</summary>
internal sealed class DirectPartitionTarget(string name, string service, TransportSecurity? transport = null) : IServingTarget
{
    private Cluster<int, int>? _cluster;

    public string Name => name;

    public async Task<Uri> StartAsync()
    {
        _cluster = await Cluster.StartAsync(PartitionedDataset.FromGenerator(1, _ => Array.Empty<int>()), BenchServer.Definition, new ClusterOptions { Transport = transport });
        return new Uri(_cluster.Hosts[0], "serve/" + service);
    }

    public async ValueTask DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }
}

/// <summary>A serving cluster's front: the gateway (distributed mode) or the ingress (head-node mode); over TLS with a transport (every hop).</summary>
internal sealed class FrontTarget(string name, int partitions, ServingOptions options, TransportSecurity? transport = null) : IServingTarget
{
    private ServingCluster<int, int>? _serving;

    public string Name => name;

    public async Task<Uri> StartAsync()
    {
        _serving = await ServingCluster.StartAsync(PartitionedDataset.FromGenerator(partitions, _ => Array.Empty<int>()), BenchServer.Definition, options, new ClusterOptions { Transport = transport });
        return _serving.GetServiceUri("hello");
    }

    public async ValueTask DisposeAsync()
    {
        if (_serving is not null)
        {
            await _serving.DisposeAsync();
        }
    }
}

/// <summary>The Python partition server this library replaces: Flask, threaded, in its own process.</summary>
internal sealed class FlaskTarget(string python, string script) : IServingTarget
{
    private Process? _process;

    public string Name => "Flask partition server";

    public async Task<Uri> StartAsync()
    {
        var port = FreePort();
        _process = Process.Start(new ProcessStartInfo(python, $"{script} --port {port}") { RedirectStandardError = true, RedirectStandardOutput = true })
            ?? throw new InvalidOperationException($"Could not start {python}.");
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();
        var url = new Uri($"http://127.0.0.1:{port}/app/hello");
        using var client = new HttpClient();
        for (var waited = Stopwatch.StartNew(); ; await Task.Delay(100))
        {
            try
            {
                using var content = new StringContent("""{"foo":"abc","bar":1}""", System.Text.Encoding.UTF8, "application/json");
                (await client.PostAsync(url, content)).EnsureSuccessStatusCode();
                return url;
            }
            catch (HttpRequestException) when (waited.Elapsed < TimeSpan.FromSeconds(20) && !_process.HasExited)
            {
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process?.Dispose();
        return ValueTask.CompletedTask;
    }

    // The port is chosen by binding it, then handed to a Python process that binds it again: a benchmark-only shortcut.
    private static int FreePort()
    {
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
