using System.Diagnostics.Metrics;

namespace SensorIngest.Modbus;

/// <summary>Metrics of the Modbus client (Meter "SensorIngest.Modbus").</summary>
public static class ModbusMetrics
{
    public const string MeterName = "SensorIngest.Modbus";

    private static readonly Meter Meter = new(MeterName);

    internal static readonly Counter<long> Requests = Meter.CreateCounter<long>("edge_sensoringest_modbus_requests_total", description: "Modbus requests sent, by function");

    internal static readonly Counter<long> Errors = Meter.CreateCounter<long>("edge_sensoringest_modbus_errors_total", description: "Modbus errors by kind: timeout, io, protocol, exception, discarded (response with an unknown transaction id)");

    internal static readonly Histogram<double> Duration = Meter.CreateHistogram<double>("edge_sensoringest_modbus_request_duration_seconds", unit: "s", description: "Modbus request duration including retries");

    internal static void Error(string kind) => Errors.Add(1, new KeyValuePair<string, object?>("kind", kind));
}
