using Microsoft.Extensions.Logging;

namespace SimulatedPlant;

/// <summary>Event ids of the simulated plant: block 7100-7199.</summary>
internal static class PlantEventIds
{
    public const int ModbusListening = 7100;
    public const int ModbusAcceptFailed = 7101;
    public const int ModbusConnectionRejected = 7102;
    public const int ModbusFrameRejected = 7103;
    public const int ModbusConnectionFailed = 7104;
    public const int ModbusStopTimedOut = 7105;
    public const int OpcUaStarting = 7120;
    public const int OpcUaStarted = 7121;
    public const int OpcUaStartFailed = 7122;
    public const int OpcUaOutput = 7123;
    public const int OpcUaStopped = 7124;
    public const int ControlListening = 7140;
    public const int FaultInjected = 7141;
    public const int FaultsCleared = 7142;
    public const int TickFailed = 7143;
}

/// <summary>Source-generated log methods of the simulated plant.</summary>
internal static partial class PlantLog
{
    [LoggerMessage(PlantEventIds.ModbusListening, LogLevel.Information, "Modbus TCP server listening on {Address}:{Port}")]
    public static partial void ModbusListening(ILogger logger, string address, int port);

    [LoggerMessage(PlantEventIds.ModbusAcceptFailed, LogLevel.Warning, "Modbus TCP accept failed")]
    public static partial void ModbusAcceptFailed(ILogger logger, Exception exception);

    [LoggerMessage(PlantEventIds.ModbusConnectionRejected, LogLevel.Warning, "Modbus TCP connection rejected: {MaxConnections} connections already open")]
    public static partial void ModbusConnectionRejected(ILogger logger, int maxConnections);

    [LoggerMessage(PlantEventIds.ModbusFrameRejected, LogLevel.Debug, "Modbus TCP connection from {Remote} closed: invalid MBAP header")]
    public static partial void ModbusFrameRejected(ILogger logger, string remote);

    [LoggerMessage(PlantEventIds.ModbusConnectionFailed, LogLevel.Error, "Modbus TCP connection failed")]
    public static partial void ModbusConnectionFailed(ILogger logger, Exception exception);

    [LoggerMessage(PlantEventIds.ModbusStopTimedOut, LogLevel.Warning, "Modbus TCP server stop timed out with {Connections} connections still closing")]
    public static partial void ModbusStopTimedOut(ILogger logger, int connections);

    [LoggerMessage(PlantEventIds.OpcUaStarting, LogLevel.Information, "Starting OPC UA plant server on port {Port}: {Script}")]
    public static partial void OpcUaStarting(ILogger logger, int port, string script);

    [LoggerMessage(PlantEventIds.OpcUaStarted, LogLevel.Information, "OPC UA plant server (pid {Pid}) listening at {Endpoint}")]
    public static partial void OpcUaStarted(ILogger logger, int pid, string endpoint);

    [LoggerMessage(PlantEventIds.OpcUaStartFailed, LogLevel.Error, "OPC UA plant server failed to start: {Reason}")]
    public static partial void OpcUaStartFailed(ILogger logger, string reason);

    [LoggerMessage(PlantEventIds.OpcUaOutput, LogLevel.Debug, "opcua: {Line}")]
    public static partial void OpcUaOutput(ILogger logger, string line);

    [LoggerMessage(PlantEventIds.OpcUaStopped, LogLevel.Information, "OPC UA plant server (pid {Pid}) stopped")]
    public static partial void OpcUaStopped(ILogger logger, int pid);

    [LoggerMessage(PlantEventIds.ControlListening, LogLevel.Information, "Plant control API listening on {Url}")]
    public static partial void ControlListening(ILogger logger, string url);

    [LoggerMessage(PlantEventIds.FaultInjected, LogLevel.Information, "Fault injected: {Fault}")]
    public static partial void FaultInjected(ILogger logger, string fault);

    [LoggerMessage(PlantEventIds.FaultsCleared, LogLevel.Information, "Faults cleared")]
    public static partial void FaultsCleared(ILogger logger);

    [LoggerMessage(PlantEventIds.TickFailed, LogLevel.Error, "Plant update failed")]
    public static partial void TickFailed(ILogger logger, Exception exception);
}
