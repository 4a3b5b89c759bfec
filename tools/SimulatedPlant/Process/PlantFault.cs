namespace SimulatedPlant.Process;

/// <summary>Faults that can be injected into the running plant. The numeric value is the fault's coil address.</summary>
public enum PlantFault
{
    /// <summary>Outer/inner race bearing defect: BPFO/BPFI lines with 1x sidebands grow, 1x/2x/3x rise.</summary>
    Bearing = 0,

    /// <summary>Suction-side cavitation: discharge pressure drops, flow becomes noisy, broadband vibration rises.</summary>
    Cavitation = 1,

    /// <summary>Cooling loss: temperature ramps towards a much higher equilibrium.</summary>
    Overheat = 2,

    /// <summary>One sensor (default temperature) reports the value it had when the fault was injected.</summary>
    SensorStuck = 3,

    /// <summary>The field device stops answering reads: Modbus exception 04, OPC UA Bad status.</summary>
    SensorDropout = 4,
}

/// <summary>Wire names of <see cref="PlantFault"/>s as used by the HTTP control API and `edgectl plant fault`.</summary>
public static class PlantFaults
{
    public const int Count = 5;

    private static readonly string[] Names = ["bearing", "cavitation", "overheat", "sensor-stuck", "sensor-dropout"];

    public static string Name(PlantFault fault) => Names[(int)fault];

    public static IReadOnlyList<string> AllNames => Names;

    public static bool TryParse(string? name, out PlantFault fault)
    {
        for (int i = 0; i < Names.Length; i++)
        {
            if (string.Equals(Names[i], name, StringComparison.OrdinalIgnoreCase))
            {
                fault = (PlantFault)i;
                return true;
            }
        }

        fault = default;
        return false;
    }
}
