using System.Diagnostics.Metrics;

namespace SimulatedPlant;

/// <summary>Metrics of the simulated plant (meter "SimulatedPlant"), exported by whoever hosts it.</summary>
internal static class PlantMetrics
{
    public const string MeterName = "SimulatedPlant";

    private static readonly Meter Meter = new(MeterName);

    /// <summary>Modbus requests answered, exception responses included. No tags: the hot path stays allocation-free.</summary>
    public static readonly Counter<long> ModbusRequests = Meter.CreateCounter<long>("edge_plant_modbus_requests_total", description: "Modbus requests answered");

    public static readonly Counter<long> ModbusExceptions = Meter.CreateCounter<long>("edge_plant_modbus_exceptions_total", description: "Modbus exception responses sent");

    public static readonly Counter<long> ModbusConnectionsClosed = Meter.CreateCounter<long>("edge_plant_modbus_rejected_connections_total", description: "Modbus connections closed for an invalid MBAP header or the connection limit");
}
