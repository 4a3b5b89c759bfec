using SimulatedPlant.Process;

namespace SimulatedPlant.Hosting;

/// <summary>Settings of <see cref="PlantHost"/>. Every port binds to 127.0.0.1; 0 picks a free one.</summary>
public sealed class PlantHostOptions
{
    public const int DefaultModbusPort = 15502;
    public const int DefaultOpcUaPort = 14840;
    public const int DefaultControlPort = 15590;

    public PumpLineOptions Model { get; set; } = new();

    public int ModbusPort { get; set; } = DefaultModbusPort;

    /// <summary>False runs the plant without its OPC UA face (no node needed).</summary>
    public bool EnableOpcUa { get; set; } = true;

    public int OpcUaPort { get; set; } = DefaultOpcUaPort;

    /// <summary>See <see cref="OpcUa.OpcUaPlantServerOptions.ScriptPath"/>.</summary>
    public string? OpcUaScriptPath { get; set; }

    /// <summary>See <see cref="OpcUa.OpcUaPlantServerOptions.PkiFolder"/>.</summary>
    public string? OpcUaPkiFolder { get; set; }

    public int ControlPort { get; set; } = DefaultControlPort;

    /// <summary>How often the model is advanced to the clock's now.</summary>
    public TimeSpan UpdateInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>How often the OPC UA variables are refreshed.</summary>
    public TimeSpan OpcUaPublishInterval { get; set; } = TimeSpan.FromMilliseconds(500);
}
