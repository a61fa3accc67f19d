using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Partitioned.Clustering;
using Partitioned.Datasets;
using Partitioned.Server;
using Partitioned.Serving;
using ServingHelloWorld;

// Worker mode, for "Runner": "process" in appsettings.json: this app, started again once per partition attempt.
if (PartitionWorker.IsWorkerProcess)
{
    return await PartitionWorker.RunAsync(HelloServer.Definition);
}

var builder = WebApplication.CreateBuilder(args);

// 1. The serving cluster: started and stopped with the host; its settings from appsettings.json (or the environment:
//    PartitionedCluster__MaxAttempts=2, PartitionedServing__Port=0 ...).
var partitions = PartitionedDataset.FromGenerator(builder.Configuration.GetValue("Partitions", 2), _ => Array.Empty<int>());
var serving = builder.Configuration.GetSection("PartitionedServing").Get<ServingOptions>() ?? new ServingOptions();
builder.Services.AddPartitionedServing(partitions, HelloServer.Definition, serving).BindConfiguration("PartitionedCluster");
builder.Services.AddHealthChecks().AddPartitionedCluster<int, int>();

// 2. OpenTelemetry: the library's meters and activity source, scraped at /metrics, and sent over OTLP when
//    OTEL_EXPORTER_OTLP_ENDPOINT names a collector.
var telemetry = builder.Services.AddOpenTelemetry()
    .ConfigureResource(resource => resource.AddService("serving-webapp"))
    .WithMetrics(metrics => metrics.AddMeter(ServingTelemetry.MeterName, ClusterTelemetry.MeterName).AddPrometheusExporter())
    .WithTracing(tracing => tracing.AddSource(ServingTelemetry.ActivitySourceName).AddAspNetCoreInstrumentation());
if (!string.IsNullOrEmpty(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
{
    telemetry.UseOtlpExporter();
}

var app = builder.Build();
app.MapHealthChecks("/health");
app.MapPrometheusScrapingEndpoint();
app.MapPartitionedDashboard<int, int>();
app.MapGet("/", (ServingCluster<int, int> cluster) => Results.Json(new
{
    hello = cluster.GetServiceUri("hello"),
    dashboard = "/dashboard/",
    metrics = "/metrics",
    health = "/health",
}));

app.Lifetime.ApplicationStarted.Register(() =>
{
    var cluster = app.Services.GetRequiredService<ServingCluster<int, int>>();
    Console.WriteLine($"Serving 'hello' at {cluster.GetServiceUri("hello")}");
    Console.WriteLine($"Operations at {app.Urls.First()}: /metrics, /health, /dashboard/ (loopback only)");
});

await app.RunAsync();
return 0;
