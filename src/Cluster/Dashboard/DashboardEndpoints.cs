using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Partitioned.Protocol;
using Partitioned.Shared;

namespace Partitioned.Clustering;

/// <summary>
/// The dashboard's routes: the page, its live stream of snapshots (server-sent events: one on connect, then one per
/// directory change, and every second for the service numbers), a one-shot JSON state, and the login form when a
/// key protects it.
/// </summary>
internal static class DashboardEndpoints
{
    private static readonly Lazy<byte[]> s_page = new(static () => Resource("dashboard.html"));
    private static readonly Lazy<byte[]> s_login = new(static () => Resource("login.html"));
    private static readonly TimeSpan s_statsInterval = TimeSpan.FromSeconds(1);

    public static RouteGroupBuilder Map<TRow, TResult>(IEndpointRouteBuilder endpoints, string pattern, Cluster<TRow, TResult> cluster, DashboardOptions options, ServingStats stats)
    {
        var access = new DashboardAccess(options.AccessKey);
        var group = endpoints.MapGroup(pattern);
        group.MapGet("/", Task<IResult> (HttpContext context) => Guarded(context, access, page: true, () => Html(context, s_page.Value, StatusCodes.Status200OK)));
        group.MapGet("/state", Task<IResult> (HttpContext context) => Guarded(context, access, page: false, () => Results.Json(DashboardSnapshot.Of(cluster, stats, options.AttemptHistory), ProtocolJson.Options)));
        group.MapGet("/events", Task<IResult> (HttpContext context) => Guarded(context, access, page: false, () => StreamAsync(context, cluster, stats, options.AttemptHistory)));
        group.MapPost("/login", async (HttpContext context) =>
        {
            if (!access.RequiresKey)
            {
                return ProblemResponse.NotFound("This dashboard has no key: it is open to this machine (loopback) only.");
            }

            var form = context.Request.HasFormContentType ? await context.Request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false) : null;
            if (!access.IsKey(form?["key"]))
            {
                return Html(context, s_login.Value, StatusCodes.Status401Unauthorized);
            }

            context.Response.Cookies.Append(DashboardAccess.CookieName, access.SessionValue, new CookieOptions
            {
                HttpOnly = true,
                SameSite = SameSiteMode.Strict,
                Secure = context.Request.IsHttps,
                Path = context.Request.PathBase + pattern,
            });
            return Results.Redirect(context.Request.PathBase + pattern + "/", permanent: false);
        }).DisableAntiforgery();
        return group;
    }

    private static async Task<IResult> Guarded(HttpContext context, DashboardAccess access, bool page, Func<Task<IResult>> allowed) =>
        access.Check(context) switch
        {
            DashboardAccessResult.Allowed => await allowed().ConfigureAwait(false),
            DashboardAccessResult.LoginRequired when page => Html(context, s_login.Value, StatusCodes.Status401Unauthorized),
            DashboardAccessResult.LoginRequired => ProblemResponse.Result(StatusCodes.Status401Unauthorized, "Unauthorized", "Log in to the dashboard with its key first."),
            DashboardAccessResult.Proxied => ProblemResponse.Result(
                StatusCodes.Status403Forbidden,
                "Forbidden",
                $"This request came through a proxy (it carries {DashboardAccess.ForwardedHeaders}), so its loopback address proves nothing, and the dashboard is open to this machine (loopback) only. Give the dashboard a key (DashboardOptions.AccessKey) and log in with it."),
            _ => ProblemResponse.Result(
                StatusCodes.Status403Forbidden,
                "Forbidden",
                "The dashboard is open to this machine (loopback) only. To open it to others, give it a key (DashboardOptions.AccessKey)."),
        };

    private static Task<IResult> Guarded(HttpContext context, DashboardAccess access, bool page, Func<IResult> allowed) =>
        Guarded(context, access, page, () => Task.FromResult(allowed()));

    private static async Task<IResult> StreamAsync<TRow, TResult>(HttpContext context, Cluster<TRow, TResult> cluster, ServingStats stats, int attemptHistory)
    {
        var response = context.Response;
        var cancellationToken = context.RequestAborted;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var snapshot = DashboardSnapshot.Of(cluster, stats, attemptHistory);
                await response.WriteAsync("data: ", cancellationToken).ConfigureAwait(false);
                await JsonSerializer.SerializeAsync(response.Body, snapshot, ProtocolJson.Options, cancellationToken).ConfigureAwait(false);
                await response.WriteAsync("\n\n", cancellationToken).ConfigureAwait(false);
                await response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
                await NextAsync(cluster, snapshot.Cluster.Version, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The page went away.
        }

        return Results.Empty;
    }

    /// <summary>Waits for the next directory change, or the next second (the service numbers move all the time).</summary>
    private static async Task NextAsync<TRow, TResult>(Cluster<TRow, TResult> cluster, long? version, CancellationToken cancellationToken)
    {
        using var iteration = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var tick = Task.Delay(s_statsInterval, cluster.Options.TimeProvider, iteration.Token);
        Task changed = tick;
        if (version is { } seen)
        {
            try
            {
                changed = cluster.Directory.WaitUntilAsync(s => s.Version != seen, iteration.Token);
            }
            catch (InvalidOperationException)
            {
                // The cluster stopped meanwhile: the next snapshot says so.
            }
        }

        await Task.WhenAny(tick, changed).ConfigureAwait(false);

        // The loser would otherwise wait on until the next change: cancel it.
        await iteration.CancelAsync().ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
    }

    private static IResult Html(HttpContext context, byte[] html, int status)
    {
        context.Response.Headers.ContentSecurityPolicy = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; form-action 'self'";
        context.Response.Headers.XContentTypeOptions = "nosniff";
        return Results.Text(html, "text/html; charset=utf-8", status);
    }

    private static byte[] Resource(string name)
    {
        using var stream = typeof(DashboardEndpoints).Assembly.GetManifestResourceStream("Partitioned.Clustering.Dashboard." + name)
            ?? throw new InvalidOperationException($"The dashboard's {name} is missing from the assembly.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
