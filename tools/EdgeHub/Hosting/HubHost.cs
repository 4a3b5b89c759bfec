using EdgeHub.Api;
using EdgeHub.Diagnostics;
using EdgeKit.Metrics;
using Microsoft.AspNetCore.Http;
using EdgeHub.Mqtt;
using EdgeHub.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EdgeHub.Hosting;

/// <summary>Settings of the hub process, bound from the `Hub` configuration section (command line: `--Hub:MqttPort 1883`, or the short switches).</summary>
public sealed class HubHostOptions
{
    /// <summary>A hub configuration file (devices, modules, routes).</summary>
    public string? Config { get; set; }

    /// <summary>A resolved deployment manifest, used when <see cref="Config"/> is not set.</summary>
    public string? Manifest { get; set; }

    public int Devices { get; set; } = 1;

    public string DeviceId { get; set; } = "edge-device";

    public string IotHubHostName { get; set; } = "localhub.azure-devices.net";

    public string State { get; set; } = Path.Combine(".edge", "hub");

    public string BindAddress { get; set; } = "127.0.0.1";

    public int MqttPort { get; set; } = 1883;

    public int HttpPort { get; set; } = 15580;

    /// <summary>MQTT over TLS port (8883 on a gateway); -1 turns TLS off.</summary>
    public int TlsPort { get; set; } = 8883;

    public string GatewayHostName { get; set; } = "localhost";

    public StoreFlushMode FlushMode { get; set; } = StoreFlushMode.OperatingSystem;
}

public static class HubHost
{
    private static readonly Dictionary<string, string> Switches = new(StringComparer.Ordinal)
    {
        ["--config"] = "Hub:Config",
        ["--manifest"] = "Hub:Manifest",
        ["--devices"] = "Hub:Devices",
        ["--device-id"] = "Hub:DeviceId",
        ["--state"] = "Hub:State",
        ["--mqtt-port"] = "Hub:MqttPort",
        ["--http-port"] = "Hub:HttpPort",
        ["--bind"] = "Hub:BindAddress",
        ["--hub-name"] = "Hub:IotHubHostName",
        ["--flush"] = "Hub:FlushMode",
        ["--tls-port"] = "Hub:TlsPort",
        ["--gateway-host"] = "Hub:GatewayHostName",
    };

    /// <summary>Builds the hub process: MQTT endpoint, store, HTTP API. Program.cs only runs it.</summary>
    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        builder.Configuration.AddCommandLine(args, Switches);
        var options = new HubHostOptions();
        builder.Configuration.GetSection("Hub").Bind(options);
        Validate(options);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(15));
        builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Parse(options.BindAddress), options.HttpPort));
        builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss.fff "; });

        var configuration = options.Config is not null
            ? HubConfigurationLoader.FromHubFile(options.Config)
            : options.Manifest is not null
                ? HubConfigurationLoader.FromManifest(options.Manifest, options.Devices, options.DeviceId, options.IotHubHostName)
                : throw new InvalidOperationException("the hub needs --config FILE or --manifest FILE");

        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddLocalHub(options, configuration);
        var app = builder.Build();
        app.MapLocalHub();
        return app;
    }

    /// <summary>Registers the hub (store, MQTT server as a hosted service, metrics exporter) for the given devices.</summary>
    public static IServiceCollection AddLocalHub(this IServiceCollection services, HubHostOptions options, HubConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(options);
        Directory.CreateDirectory(options.State);
        services.AddSingleton<IMessageStore>(sp => MessageStore.Open(new MessageStoreOptions
        {
            Directory = Path.Combine(options.State, "store"),
            FlushMode = options.FlushMode,
            TimeProvider = sp.GetRequiredService<TimeProvider>(),
        }));
        services.AddSingleton(sp => new EdgeHubServer(
            new HubServerOptions
            {
                BindAddress = options.BindAddress,
                MqttPort = options.MqttPort,
                TlsPort = options.TlsPort,
                GatewayHostName = options.GatewayHostName,
                StateDirectory = options.State,
            },
            configuration,
            sp.GetRequiredService<IMessageStore>(),
            sp.GetRequiredService<ILoggerFactory>(),
            sp.GetRequiredService<TimeProvider>()));
        services.AddHostedService<HubService>();
        services.AddSingleton(_ => new PrometheusExporter([HubMetrics.MeterName, "EdgeHub.Storage", "EdgeHub.Routing"]));
        return services;
    }

    /// <summary>Maps the hub's HTTP API (twins, methods, workload, status, upstream) and /metrics.</summary>
    public static WebApplication MapLocalHub(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var hub = app.Services.GetRequiredService<EdgeHubServer>();
        app.MapHubApi(hub, app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("EdgeHub.Api"), app.Services.GetRequiredService<TimeProvider>());
        var exporter = app.Services.GetRequiredService<PrometheusExporter>();
        app.MapGet("/metrics", () => Results.Text(exporter.Collect(), PrometheusExporter.ContentType));
        return app;
    }

    public static void Validate(HubHostOptions options)
    {
        var problems = new List<string>();
        if (options.Config is null && options.Manifest is null)
        {
            problems.Add("one of --config or --manifest is required");
        }

        if (options.Config is not null && !File.Exists(options.Config))
        {
            problems.Add($"--config: file '{options.Config}' not found");
        }

        if (options.Manifest is not null && !File.Exists(options.Manifest))
        {
            problems.Add($"--manifest: file '{options.Manifest}' not found");
        }

        if (options.Devices is < 1 or > 1000)
        {
            problems.Add("--devices must be 1..1000");
        }

        if (options.MqttPort is < 0 or > 65535 || options.HttpPort is < 0 or > 65535 || options.TlsPort is < -1 or > 65535)
        {
            problems.Add("ports must be 0..65535");
        }

        if (problems.Count > 0)
        {
            throw new OptionsException(problems);
        }
    }
}

/// <summary>All problems of the hub's settings at once.</summary>
public sealed class OptionsException(IReadOnlyList<string> problems) : Exception("invalid hub settings: " + string.Join("; ", problems))
{
    public IReadOnlyList<string> Problems { get; } = problems;
}
