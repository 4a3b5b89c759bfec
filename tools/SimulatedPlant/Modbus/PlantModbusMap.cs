using SimulatedPlant.Process;

namespace SimulatedPlant.Modbus;

/// <summary>
/// The pump line's register map (docs/simulated-plant.md). Every request must lie inside one block, otherwise it is
/// answered with exception 02. While <see cref="PlantFault.SensorDropout"/> is active, reads of measured values answer
/// exception 04 (server device failure); the fault coils keep working so the fault can be cleared over Modbus.
/// </summary>
public sealed class PlantModbusMap : IModbusDataModel
{
    /// <summary>Input registers 0..21: float32 per signal, IEEE 754 big-endian, high word first (register 2i = high word).</summary>
    public const ushort FloatBase = 0;

    /// <summary>Input registers 100..101: model step counter, uint32, high word first.</summary>
    public const ushort StepCounterAddress = 100;

    /// <summary>Holding registers 0..10: int16 copy per signal, round(value × scale), saturated.</summary>
    public const ushort ScaledBase = 0;

    /// <summary>Holding register 100: speed set point in rpm (read/write, 0..1.2 × rated).</summary>
    public const ushort SpeedSetpointAddress = 100;

    /// <summary>Holding registers 200..299: scratch registers any client may write (commissioning tests).</summary>
    public const ushort ScratchBase = 200;

    public const int ScratchCount = 100;

    /// <summary>Coils 0..4: one per <see cref="PlantFault"/> (0 bearing .. 4 sensor-dropout); ON injects, OFF clears.</summary>
    public const ushort FaultCoilBase = 0;

    /// <summary>Discrete inputs 0..4: running, any fault, vibration alarm, temperature alarm, low pressure alarm.</summary>
    public const int DiscreteInputCount = 5;

    /// <summary>Vibration alarm threshold (mm/s RMS): ISO 10816-3 zone C/D boundary for group 2 rigid foundations.</summary>
    public const double VibrationAlarm = 4.5;

    public const double TemperatureAlarm = 80;

    public const double LowPressureAlarm = 2.5;

    private readonly PumpLine _line;
    private readonly ushort[] _scratch = new ushort[ScratchCount];
    private readonly Lock _scratchLock = new();

    public PlantModbusMap(PumpLine line)
    {
        ArgumentNullException.ThrowIfNull(line);
        _line = line;
    }

    public ModbusExceptionCode ReadCoils(ushort address, Span<bool> values)
    {
        if (!Within(address, values.Length, FaultCoilBase, PlantFaults.Count))
        {
            return ModbusExceptionCode.IllegalDataAddress;
        }

        PlantSnapshot snapshot = _line.Current;
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = snapshot.HasFault((PlantFault)(address - FaultCoilBase + i));
        }

        return ModbusExceptionCode.None;
    }

    public ModbusExceptionCode ReadDiscreteInputs(ushort address, Span<bool> values)
    {
        if (!Within(address, values.Length, 0, DiscreteInputCount))
        {
            return ModbusExceptionCode.IllegalDataAddress;
        }

        PlantSnapshot s = _line.Current;
        if (s.Dropout)
        {
            return ModbusExceptionCode.ServerDeviceFailure;
        }

        Span<bool> all =
        [
            s[PlantSignal.Speed] > 100,
            s.ActiveFaults.Count > 0,
            s[PlantSignal.VibrationRms] > VibrationAlarm,
            s[PlantSignal.Temperature] > TemperatureAlarm,
            s[PlantSignal.Pressure] < LowPressureAlarm,
        ];
        all.Slice(address, values.Length).CopyTo(values);
        return ModbusExceptionCode.None;
    }

    public ModbusExceptionCode ReadInputRegisters(ushort address, Span<ushort> values)
    {
        PlantSnapshot s = _line.Current;
        if (Within(address, values.Length, FloatBase, 2 * PlantSignals.Count))
        {
            if (s.Dropout)
            {
                return ModbusExceptionCode.ServerDeviceFailure;
            }

            for (int i = 0; i < values.Length; i++)
            {
                int register = address - FloatBase + i;
                uint bits = BitConverter.SingleToUInt32Bits((float)s[(PlantSignal)(register / 2)]);
                values[i] = (register & 1) == 0 ? (ushort)(bits >> 16) : (ushort)bits;
            }

            return ModbusExceptionCode.None;
        }

        if (Within(address, values.Length, StepCounterAddress, 2))
        {
            uint step = (uint)s.Step;
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = address + i == StepCounterAddress ? (ushort)(step >> 16) : (ushort)step;
            }

            return ModbusExceptionCode.None;
        }

        return ModbusExceptionCode.IllegalDataAddress;
    }

    public ModbusExceptionCode ReadHoldingRegisters(ushort address, Span<ushort> values)
    {
        if (Within(address, values.Length, ScaledBase, PlantSignals.Count))
        {
            PlantSnapshot s = _line.Current;
            if (s.Dropout)
            {
                return ModbusExceptionCode.ServerDeviceFailure;
            }

            for (int i = 0; i < values.Length; i++)
            {
                values[i] = (ushort)Scaled(s, (PlantSignal)(address - ScaledBase + i));
            }

            return ModbusExceptionCode.None;
        }

        if (Within(address, values.Length, SpeedSetpointAddress, 1))
        {
            values[0] = (ushort)Math.Round(_line.SpeedSetpoint);
            return ModbusExceptionCode.None;
        }

        if (Within(address, values.Length, ScratchBase, ScratchCount))
        {
            lock (_scratchLock)
            {
                _scratch.AsSpan(address - ScratchBase, values.Length).CopyTo(values);
            }

            return ModbusExceptionCode.None;
        }

        return ModbusExceptionCode.IllegalDataAddress;
    }

    public ModbusExceptionCode WriteCoils(ushort address, ReadOnlySpan<bool> values)
    {
        if (!Within(address, values.Length, FaultCoilBase, PlantFaults.Count))
        {
            return ModbusExceptionCode.IllegalDataAddress;
        }

        // Only changes touch the model: rewriting a coil's current state keeps the snapshot (and allocates nothing).
        for (int i = 0; i < values.Length; i++)
        {
            var fault = (PlantFault)(address - FaultCoilBase + i);
            bool active = _line.Current.HasFault(fault);
            if (values[i] && !active)
            {
                _line.InjectFault(fault);
            }
            else if (!values[i] && active)
            {
                _line.ClearFault(fault);
            }
        }

        return ModbusExceptionCode.None;
    }

    public ModbusExceptionCode WriteRegisters(ushort address, ReadOnlySpan<ushort> values)
    {
        if (Within(address, values.Length, SpeedSetpointAddress, 1))
        {
            if (values[0] > 1.2 * RatedSpeed())
            {
                return ModbusExceptionCode.IllegalDataValue;
            }

            _line.SpeedSetpoint = values[0];
            return ModbusExceptionCode.None;
        }

        if (Within(address, values.Length, ScratchBase, ScratchCount))
        {
            lock (_scratchLock)
            {
                values.CopyTo(_scratch.AsSpan(address - ScratchBase));
            }

            return ModbusExceptionCode.None;
        }

        // The scaled copies (holding 0..10) are read-only, like the measured values of a real transmitter.
        return ModbusExceptionCode.IllegalDataAddress;
    }

    /// <summary>The int16 holding-register value of a signal: round(value × scale), saturated to the int16 range.</summary>
    public static short Scaled(PlantSnapshot snapshot, PlantSignal signal)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        double scaled = Math.Round(snapshot[signal] * PlantSignals.Info(signal).Scale);
        return (short)Math.Clamp(scaled, short.MinValue, short.MaxValue);
    }

    private double RatedSpeed() => _line.NominalSpeedRpm;

    private static bool Within(ushort address, int quantity, int blockStart, int blockLength)
        => quantity > 0 && address >= blockStart && address + quantity <= blockStart + blockLength;
}
