using EdgeKit.Client;
using EdgeKit.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeKit.Hosting;

/// <summary>Hosting options of an EdgeKit module (configuration section <c>EdgeKit</c>).</summary>
public sealed class EdgeModuleHostingOptions
{
    /// <summary>Port of the health/metrics endpoint; 0 disables it.</summary>
    public int MetricsPort { get; set; } = 9600;

    /// <summary>Address the endpoint binds (default: all interfaces, as a container needs).</summary>
    public string MetricsBindAddress { get; set; } = "0.0.0.0";

    /// <summary>Meters exported on <c>/metrics</c> in addition to <c>EdgeKit</c> ("*": all).</summary>
    public List<string> Meters { get; } = [];

    /// <summary>Connect to the hub when the host starts.</summary>
    public bool OpenOnStart { get; set; } = true;
}

/// <summary>Lists every problem of <see cref="EdgeModuleHostingOptions"/> at once.</summary>
public sealed class EdgeModuleHostingOptionsValidator : IValidateOptions<EdgeModuleHostingOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, EdgeModuleHostingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.MetricsPort is < 0 or > 65535) failures.Add($"EdgeKit:MetricsPort must be 0..65535 (was {options.MetricsPort}).");
        if (!System.Net.IPAddress.TryParse(options.MetricsBindAddress, out _)) failures.Add($"EdgeKit:MetricsBindAddress '{options.MetricsBindAddress}' is not an IP address.");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

/// <summary><c>builder.AddEdgeModule()</c>: the ModuleClient, its options, and the health/metrics endpoint.</summary>
public static class EdgeModuleHostingExtensions
{
    /// <summary>
    /// Registers a singleton <see cref="ModuleClient"/> created from the environment, validated options bound to
    /// section <c>EdgeKit</c>, a hosted service that opens and closes the client, and (unless <c>EdgeKit:MetricsPort</c>
    /// is 0) a Kestrel endpoint serving <c>/health/live</c>, <c>/health/ready</c> and <c>/metrics</c>.
    /// </summary>
    public static IHostApplicationBuilder AddEdgeModule(this IHostApplicationBuilder builder, Func<IServiceProvider, ModuleClient>? clientFactory = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        IServiceCollection services = builder.Services;
        services.AddOptions<ModuleClientOptions>().BindConfiguration(ModuleClientOptions.SectionName).ValidateOnStart();
        services.AddOptions<EdgeModuleHostingOptions>().BindConfiguration(ModuleClientOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ModuleClientOptions>, ModuleClientOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<EdgeModuleHostingOptions>, EdgeModuleHostingOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(clientFactory ?? (sp => ModuleClient.CreateFromEnvironment(
            sp.GetRequiredService<IOptions<ModuleClientOptions>>().Value,
            sp.GetRequiredService<ILoggerFactory>(),
            sp.GetRequiredService<TimeProvider>())));
        services.TryAddSingleton(sp => new PrometheusExporter(
            [ClientMetrics.MeterName, .. sp.GetRequiredService<IOptions<EdgeModuleHostingOptions>>().Value.Meters]));
        services.AddHostedService<ModuleClientHostedService>();
        services.AddHostedService<EdgeModuleEndpointService>();
        services.Configure<HostOptions>(o =>
        {
            if (o.ShutdownTimeout > TimeSpan.FromSeconds(20))
            {
                // edgeAgent stops containers with a grace period; stay inside it.
                o.ShutdownTimeout = TimeSpan.FromSeconds(20);
            }
        });
        return builder;
    }
}

/// <summary>Opens the client in the background (the hub may start after the module) and closes it on shutdown.</summary>
internal sealed class ModuleClientHostedService(ModuleClient client, IOptions<EdgeModuleHostingOptions> options, ILogger<ModuleClientHostedService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.OpenOnStart)
        {
            return;
        }

        try
        {
            // Waits for the first connection; the client keeps retrying with backoff on its own.
            await client.OpenAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            HostingLog.OpenFailed(logger, ex);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        await client.CloseAsync(cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>The small Kestrel endpoint: <c>/health/live</c>, <c>/health/ready</c>, <c>/metrics</c>.</summary>
internal sealed class EdgeModuleEndpointService(
    ModuleClient client,
    PrometheusExporter exporter,
    IOptions<EdgeModuleHostingOptions> options,
    ILogger<EdgeModuleEndpointService> logger) : IHostedService, IAsyncDisposable
{
    private WebApplication? _app;


    public async Task StartAsync(CancellationToken cancellationToken)
    {
        int port = options.Value.MetricsPort;
        if (port == 0)
        {
            return;
        }

        WebApplicationBuilder builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Parse(options.Value.MetricsBindAddress), port));
        _app = builder.Build();
        _app.Run(context => HandleAsync(context, client, exporter));
        await _app.StartAsync(cancellationToken).ConfigureAwait(false);
        HostingLog.EndpointStarted(logger, port);
    }

    internal static Task HandleAsync(HttpContext context, ModuleClient client, PrometheusExporter exporter)
    {
        HttpResponse response = context.Response;
        switch (context.Request.Path.Value)
        {
            case "/health/live":
                response.ContentType = "text/plain";
                return response.WriteAsync("live");
            case "/health/ready":
                bool ready = client.IsConnected;
                response.StatusCode = ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
                response.ContentType = "text/plain";
                return response.WriteAsync(ready ? "ready" : "not connected");
            case "/metrics":
                response.ContentType = PrometheusExporter.ContentType;
                return response.WriteAsync(exporter.Collect());
            default:
                response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is not null)
        {
            await _app.StopAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync().ConfigureAwait(false);
        }
    }
}

internal static partial class HostingLog
{
    [LoggerMessage(EventId = EventIds.HostingBase + 1, Level = LogLevel.Error, Message = "Opening the module client failed; it keeps retrying in the background")]
    public static partial void OpenFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = EventIds.HostingBase + 2, Level = LogLevel.Information, Message = "Health and metrics endpoint listening on port {Port}")]
    public static partial void EndpointStarted(ILogger logger, int port);
}
