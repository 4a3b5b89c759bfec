namespace SimulatedPlant.Process;

/// <summary>An immutable reading of every signal at one model step. Readers (Modbus, OPC UA, HTTP) share it without locks.</summary>
public sealed class PlantSnapshot
{
    private readonly double[] _values;

    internal PlantSnapshot(DateTimeOffset timestamp, long step, double[] values, IReadOnlyList<PlantFault> activeFaults, PlantSignal? stuckSignal)
    {
        Timestamp = timestamp;
        Step = step;
        _values = values;
        ActiveFaults = activeFaults;
        StuckSignal = stuckSignal;
    }

    /// <summary>Simulated time of this step.</summary>
    public DateTimeOffset Timestamp { get; }

    /// <summary>Model step index since start; increases by one per <see cref="PumpLineOptions.StepInterval"/>.</summary>
    public long Step { get; }

    /// <summary>Faults active at this step, in <see cref="PlantFault"/> order.</summary>
    public IReadOnlyList<PlantFault> ActiveFaults { get; }

    /// <summary>The signal frozen by <see cref="PlantFault.SensorStuck"/>, if that fault is active.</summary>
    public PlantSignal? StuckSignal { get; }

    /// <summary>True while <see cref="PlantFault.SensorDropout"/> is active: the field device does not answer.</summary>
    public bool Dropout => HasFault(PlantFault.SensorDropout);

    public double this[PlantSignal signal] => _values[(int)signal];

    public bool HasFault(PlantFault fault)
    {
        foreach (PlantFault active in ActiveFaults)
        {
            if (active == fault)
            {
                return true;
            }
        }

        return false;
    }
}
