namespace SimulatedPlant.Process;

/// <summary>The signals of the pump line. The numeric value is the signal's index in the register map (docs/simulated-plant.md).</summary>
public enum PlantSignal
{
    VibrationRms = 0,
    Vibration1x = 1,
    Vibration2x = 2,
    Vibration3x = 3,
    VibrationBearing = 4,
    VibrationCrestFactor = 5,
    Temperature = 6,
    Pressure = 7,
    Flow = 8,
    MotorCurrent = 9,
    Speed = 10,
}

/// <summary>Names, units and Modbus scale factors of <see cref="PlantSignal"/>s.</summary>
public static class PlantSignals
{
    /// <summary>Number of signals; also the number of float32 pairs in the input-register table.</summary>
    public const int Count = 11;

    private static readonly SignalInfo[] Infos =
    [
        new(PlantSignal.VibrationRms, "vibration.rms", "mm/s", 100),
        new(PlantSignal.Vibration1x, "vibration.1x", "mm/s", 100),
        new(PlantSignal.Vibration2x, "vibration.2x", "mm/s", 100),
        new(PlantSignal.Vibration3x, "vibration.3x", "mm/s", 100),
        new(PlantSignal.VibrationBearing, "vibration.bearing", "mm/s", 100),
        new(PlantSignal.VibrationCrestFactor, "vibration.crest", "1", 100),
        new(PlantSignal.Temperature, "temperature", "degC", 10),
        new(PlantSignal.Pressure, "pressure", "bar", 100),
        new(PlantSignal.Flow, "flow", "m3/h", 10),
        new(PlantSignal.MotorCurrent, "current", "A", 10),
        new(PlantSignal.Speed, "speed", "rpm", 1),
    ];

    /// <summary>All signals in register order.</summary>
    public static IReadOnlyList<SignalInfo> All => Infos;

    public static SignalInfo Info(PlantSignal signal) => Infos[(int)signal];

    /// <summary>Finds a signal by its wire name (for example "vibration.rms"), case-insensitive.</summary>
    public static bool TryParse(string? name, out PlantSignal signal)
    {
        foreach (SignalInfo info in Infos)
        {
            if (string.Equals(info.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                signal = info.Signal;
                return true;
            }
        }

        signal = default;
        return false;
    }
}

/// <summary>Describes one signal: wire name, engineering unit and the factor of its scaled int16 copy (holding register = round(value × Scale)).</summary>
public sealed record SignalInfo(PlantSignal Signal, string Name, string Unit, double Scale);
