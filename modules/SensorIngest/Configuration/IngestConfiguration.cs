using SensorIngest.Modbus;

namespace SensorIngest.Configuration;

/// <summary>Which twin schema a configuration was read from.</summary>
public enum ConfigurationSchema
{
    /// <summary>The module's own schema (<c>slaves</c> with typed <c>points</c>).</summary>
    Native,

    /// <summary>The archived Azure/iot-edge-modbus schema (<c>PublishInterval</c>, <c>SlaveConfigs</c>).</summary>
    Archived,

    /// <summary>Built from the environment (<c>PLANT_MODBUS_ENDPOINT</c>) because the twin had no configuration.</summary>
    Default,
}

/// <summary>The internal model both twin schemas map to: what the pollers run.</summary>
public sealed class IngestConfiguration
{
    public ConfigurationSchema Schema { get; init; } = ConfigurationSchema.Native;

    /// <summary>0 = publish one batch per poll cycle (the archived module's PublishInterval is kept and reported).</summary>
    public TimeSpan PublishInterval { get; init; }

    public List<SlaveConfiguration> Slaves { get; init; } = [];
}

/// <summary>One Modbus TCP slave (or, for the archived schema, one group of its operations) polled on its own schedule.</summary>
public sealed class SlaveConfiguration
{
    public string Name { get; init; } = "";

    public string Host { get; init; } = "";

    public int Port { get; init; } = 502;

    public int UnitId { get; init; } = 1;

    public TimeSpan PollingInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Extra attempts per request after a timeout or I/O error.</summary>
    public int RetryCount { get; init; } = 2;

    public TimeSpan RetryInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The archived schema's <c>HwId</c> (kept and reported; not part of telemetry/1).</summary>
    public string? HwId { get; init; }

    /// <summary>Set when the archived schema named a serial port in <c>SlaveConnection</c> (rejected by the validator for now).</summary>
    public string? SerialPort { get; init; }

    public List<PointConfiguration> Points { get; init; } = [];
}

/// <summary>One typed value: where it lives, how it is decoded and what it is called.</summary>
public sealed class PointConfiguration
{
    public string Signal { get; init; } = "";

    /// <summary>Read function: 1 coils, 2 discrete inputs, 3 holding registers, 4 input registers.</summary>
    public int Function { get; init; }

    /// <summary>0-based PDU address.</summary>
    public int Address { get; init; }

    public PointType Type { get; init; } = PointType.UInt16;

    public PointOrder Order { get; init; } = PointOrder.ABCD;

    public double Scale { get; init; } = 1;

    public double Offset { get; init; }

    public string? Unit { get; init; }

    /// <summary>The archived schema's <c>CorrelationId</c> (kept and reported).</summary>
    public string? CorrelationId { get; init; }

    /// <summary>Registers (FC3/4) or bits (FC1/2) the point occupies.</summary>
    public int Width => Function is 1 or 2 ? 1 : Format.RegisterCount;

    public PointFormat Format => new(Type, Order, Scale, Offset);
}
