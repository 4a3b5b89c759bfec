namespace SimulatedPlant.Process;

/// <summary>Parameters of the simulated pump line.</summary>
public sealed class PumpLineOptions
{
    /// <summary>Seed of every random source; the same seed and the same clock give the same values.</summary>
    public int Seed { get; set; } = 1;

    /// <summary>Fixed integration step. Values change only on step boundaries of the injected clock.</summary>
    public TimeSpan StepInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Rated speed of the 2-pole motor (50 Hz supply).</summary>
    public double NominalSpeedRpm { get; set; } = 2950;

    /// <summary>Signal frozen by <see cref="PlantFault.SensorStuck"/> when the caller names none.</summary>
    public PlantSignal DefaultStuckSignal { get; set; } = PlantSignal.Temperature;

    /// <summary>Ambient temperature in °C.</summary>
    public double AmbientTemperature { get; set; } = 25;

    /// <summary>Catch-up bound: when the clock jumped further than this, the model skips ahead instead of integrating every step.</summary>
    public TimeSpan MaxCatchUp { get; set; } = TimeSpan.FromHours(2);
}
