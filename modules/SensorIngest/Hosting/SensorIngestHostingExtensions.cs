using EdgeKit.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SensorIngest.Modbus;
using SensorIngest.Polling;

namespace SensorIngest.Hosting;

/// <summary><c>builder.AddSensorIngest()</c>: pollers, the hub sink and the worker (after <c>AddEdgeModule()</c>).</summary>
public static class SensorIngestHostingExtensions
{
    public static IHostApplicationBuilder AddSensorIngest(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSingleton<HubTelemetrySink>();
        builder.Services.AddSingleton<ITelemetrySink>(sp => sp.GetRequiredService<HubTelemetrySink>());
        builder.Services.AddSingleton(sp => new PollingEngine(sp.GetRequiredService<ITelemetrySink>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILoggerFactory>()));
        builder.Services.AddHostedService<SensorIngestWorker>();
        builder.Services.PostConfigure<EdgeModuleHostingOptions>(o => o.Meters.Add(ModbusMetrics.MeterName));
        return builder;
    }
}
