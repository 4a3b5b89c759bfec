using Microsoft.Extensions.Logging;
using SimulatedPlant.Hosting;

namespace EdgeCtl.Up;

/// <summary>Starts the simulated plant for `up` and publishes its endpoints to modules (docs/simulated-plant.md).</summary>
internal static class PlantRunner
{
    public const int ModbusPort = PlantHostOptions.DefaultModbusPort;
    public const int OpcUaPort = PlantHostOptions.DefaultOpcUaPort;

    /// <summary>Starts the plant; a plant that cannot start (port in use, node missing) is logged and `up` goes on without it.</summary>
    public static async Task<IAsyncDisposable?> TryStartAsync(UpOptions options, string state, Dictionary<string, string> peers, Dictionary<string, int> pids, ILogger logger, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        var host = new PlantHost(
            new PlantHostOptions
            {
                ModbusPort = ModbusPort,
                OpcUaPort = OpcUaPort,
                ControlPort = options.PlantControlPort,
                OpcUaPkiFolder = Path.Combine(state, "plant", "pki"),
            },
            TimeProvider.System,
            loggerFactory);
        try
        {
            await host.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            UpLog.PeerFailed(logger, "Simulated plant", ex.Message);
            await host.DisposeAsync().ConfigureAwait(false);
            return null;
        }

        peers["PLANT_MODBUS_ENDPOINT"] = "127.0.0.1:" + host.ModbusPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        peers["PLANT_OPCUA_ENDPOINT"] = host.OpcUaEndpointUrl ?? "";
        peers["PLANT_CONTROL_URL"] = host.ControlUrl.ToString().TrimEnd('/');
        _ = pids;
        return host;
    }
}
