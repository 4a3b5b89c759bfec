namespace SimulatedPlant.Process;

/// <summary>
/// A centrifugal pump line driven by a 2-pole motor: speed, pump and system curves (affinity laws), motor current,
/// first-order thermal dynamics and a synthesized vibration waveform from which RMS, crest factor and the 1x/2x/3x
/// and bearing-band amplitudes are derived. Deterministic: the values depend only on the seed, the injected clock and
/// the faults injected, never on how often <see cref="Update"/> is called.
/// </summary>
public sealed class PumpLine
{
    /// <summary>Samples per synthesized vibration window (0.2 s at <see cref="SampleRate"/>).</summary>
    public const int WaveformLength = 1024;

    /// <summary>Sample rate of the vibration waveform in Hz.</summary>
    public const double SampleRate = 5120;

    // Bearing defect frequencies as multiples of shaft speed for a 6309-class bearing (9 balls).
    private const double BpfoOrder = 3.58;
    private const double BpfiOrder = 5.42;

    // Pump and system curves (head in m, flow in m3/h) at rated speed; pressure = head / 10.2 (water).
    private const double ShutoffHead = 50;
    private const double PumpCurveK = 0.002;
    private const double StaticHead = 10;
    private const double SystemCurveK = 0.0025;

    private const double ThermalTimeConstantSeconds = 300;
    private const double SpeedTimeConstantSeconds = 2;

    private readonly PumpLineOptions _options;
    private readonly TimeProvider _time;
    private readonly DateTimeOffset _start;
    private readonly double _dt;
    private readonly Lock _lock = new();
    private readonly long[] _faultSince = new long[PlantFaults.Count];
    private readonly double[] _waveform = new double[WaveformLength];
    private readonly double[] _window = new double[WaveformLength];

    private long _step;
    private double _speed;
    private double _temperature;
    private double _speedSetpoint;
    private PlantSignal? _stuckSignal;
    private double _stuckValue;
    private PlantSnapshot _current;

    public PumpLine(PumpLineOptions? options = null, TimeProvider? time = null)
    {
        _options = options ?? new PumpLineOptions();
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(_options.StepInterval, TimeSpan.Zero, nameof(options));
        _time = time ?? TimeProvider.System;
        _start = _time.GetUtcNow();
        _dt = _options.StepInterval.TotalSeconds;
        Array.Fill(_faultSince, -1);
        for (int i = 0; i < WaveformLength; i++)
        {
            _window[i] = 0.5 - (0.5 * Math.Cos(2 * Math.PI * i / (WaveformLength - 1)));
        }

        _speedSetpoint = _options.NominalSpeedRpm;
        _speed = _speedSetpoint;
        _temperature = EquilibriumTemperature(ComputeHydraulics(_speed, 0).Current, 0, 0);
        _current = ComputeSnapshot();
    }

    /// <summary>The latest snapshot; cheap, lock-free.</summary>
    public PlantSnapshot Current => Volatile.Read(ref _current);

    /// <summary>Rated speed in rpm.</summary>
    public double NominalSpeedRpm => _options.NominalSpeedRpm;

    /// <summary>Speed set point in rpm (0 stops the pump). Clamped to 0..1.2 × rated.</summary>
    public double SpeedSetpoint
    {
        get
        {
            lock (_lock)
            {
                return _speedSetpoint;
            }
        }

        set
        {
            lock (_lock)
            {
                _speedSetpoint = Math.Clamp(value, 0, 1.2 * _options.NominalSpeedRpm);
            }
        }
    }

    /// <summary>Integrates the model up to the injected clock's now and returns the new snapshot.</summary>
    public PlantSnapshot Update()
    {
        lock (_lock)
        {
            long target = (long)Math.Floor((_time.GetUtcNow() - _start).TotalSeconds / _dt);
            if (target <= _step)
            {
                return _current;
            }

            long maxSteps = (long)(_options.MaxCatchUp.TotalSeconds / _dt);
            if (target - _step > maxSteps)
            {
                _step = target - maxSteps;
            }

            while (_step < target)
            {
                _step++;
                Integrate();
            }

            PlantSnapshot snapshot = ComputeSnapshot();
            Volatile.Write(ref _current, snapshot);
            return snapshot;
        }
    }

    /// <summary>Activates a fault from the next step on. <paramref name="stuckSignal"/> only applies to <see cref="PlantFault.SensorStuck"/>.</summary>
    public PlantSnapshot InjectFault(PlantFault fault, PlantSignal? stuckSignal = null)
    {
        lock (_lock)
        {
            if (_faultSince[(int)fault] < 0)
            {
                _faultSince[(int)fault] = _step;
            }

            if (fault == PlantFault.SensorStuck)
            {
                _stuckSignal = stuckSignal ?? _options.DefaultStuckSignal;
                _stuckValue = _current[_stuckSignal.Value];
            }

            return Republish();
        }
    }

    /// <summary>Deactivates one fault; the process recovers with its own dynamics (temperature cools down).</summary>
    public PlantSnapshot ClearFault(PlantFault fault)
    {
        lock (_lock)
        {
            _faultSince[(int)fault] = -1;
            if (fault == PlantFault.SensorStuck)
            {
                _stuckSignal = null;
            }

            return Republish();
        }
    }

    /// <summary>Deactivates every fault.</summary>
    public PlantSnapshot ClearFaults()
    {
        lock (_lock)
        {
            Array.Fill(_faultSince, -1);
            _stuckSignal = null;
            return Republish();
        }
    }

    /// <summary>Copies the vibration waveform (velocity, mm/s) of the latest step into <paramref name="destination"/>.</summary>
    public int CopyWaveform(Span<double> destination)
    {
        lock (_lock)
        {
            int n = Math.Min(destination.Length, WaveformLength);
            _waveform.AsSpan(0, n).CopyTo(destination);
            return n;
        }
    }

    private PlantSnapshot Republish()
    {
        PlantSnapshot snapshot = ComputeSnapshot();
        Volatile.Write(ref _current, snapshot);
        return snapshot;
    }

    /// <summary>Severity 0..1 of a fault that ramps in over <paramref name="rampSeconds"/>.</summary>
    private double Severity(PlantFault fault, double rampSeconds)
    {
        long since = _faultSince[(int)fault];
        if (since < 0)
        {
            return 0;
        }

        return Math.Clamp((_step - since) * _dt / rampSeconds, 0, 1);
    }

    private void Integrate()
    {
        double speedAlpha = 1 - Math.Exp(-_dt / SpeedTimeConstantSeconds);
        _speed += (_speedSetpoint - _speed) * speedAlpha;

        double cavitation = Severity(PlantFault.Cavitation, 5);
        double bearing = Severity(PlantFault.Bearing, 30);
        double overheat = _faultSince[(int)PlantFault.Overheat] >= 0 ? 1 : 0;
        Hydraulics h = ComputeHydraulics(_speed, cavitation);
        double equilibrium = EquilibriumTemperature(h.Current, bearing, overheat);
        double thermalAlpha = 1 - Math.Exp(-_dt / ThermalTimeConstantSeconds);
        _temperature += (equilibrium - _temperature) * thermalAlpha;
    }

    private double EquilibriumTemperature(double current, double bearing, double overheat)
        => _options.AmbientTemperature + (0.045 * current * current) + (8 * bearing) + (70 * overheat);

    private Hydraulics ComputeHydraulics(double speed, double cavitation)
    {
        double n = speed / _options.NominalSpeedRpm;
        double available = (ShutoffHead * n * n) - StaticHead;
        double flow = available > 0 ? Math.Sqrt(available / (PumpCurveK + SystemCurveK)) : 0;
        double head = flow > 0 ? StaticHead + (SystemCurveK * flow * flow) : ShutoffHead * n * n;

        // Cavitation: vapour in the impeller eye cuts the developed head by up to 35 % and flow by up to 15 %.
        head *= 1 - (0.35 * cavitation);
        flow *= 1 - (0.15 * cavitation);
        double pressure = head / 10.2;
        double hydraulicPower = 1000 * 9.81 * (flow / 3600) * head;
        double shaftPower = hydraulicPower / 0.7;

        // Motor current: magnetising (no-load) part plus the load part at 400 V, power factor 0.85.
        double current = n > 0.01 ? 5 + (shaftPower / (Math.Sqrt(3) * 400 * 0.85)) : 0;
        return new Hydraulics(flow, pressure, current);
    }

    private PlantSnapshot ComputeSnapshot()
    {
        var values = new double[PlantSignals.Count];
        double cavitation = Severity(PlantFault.Cavitation, 5);
        double bearing = Severity(PlantFault.Bearing, 30);
        Hydraulics h = ComputeHydraulics(_speed, cavitation);

        // Measurement noise: seeded by (seed, step) so a snapshot is reproducible on its own, across processes too
        // (HashCode.Combine would not do: it is randomized per process).
        var noise = new Random(StepSeed(_options.Seed, _step));
        values[(int)PlantSignal.Speed] = _speed + Gaussian(noise, 1.0);
        values[(int)PlantSignal.Temperature] = _temperature + Gaussian(noise, 0.05);
        values[(int)PlantSignal.Pressure] = h.Pressure + Gaussian(noise, 0.01 + (0.15 * cavitation));
        values[(int)PlantSignal.Flow] = Math.Max(0, h.Flow + Gaussian(noise, 0.3 + (8 * cavitation)));
        values[(int)PlantSignal.MotorCurrent] = h.Current * (1 + (0.04 * bearing)) + Gaussian(noise, 0.1);

        SynthesizeWaveform(noise, _speed / 60, bearing, cavitation);
        DeriveVibration(values, _speed / 60);

        PlantFault[] active = ActiveFaults();
        if (_stuckSignal is { } stuck && _faultSince[(int)PlantFault.SensorStuck] >= 0)
        {
            values[(int)stuck] = _stuckValue;
        }

        DateTimeOffset timestamp = _start + TimeSpan.FromTicks(_options.StepInterval.Ticks * _step);
        return new PlantSnapshot(timestamp, _step, values, active, _faultSince[(int)PlantFault.SensorStuck] >= 0 ? _stuckSignal : null);
    }

    private PlantFault[] ActiveFaults()
    {
        int count = 0;
        foreach (long since in _faultSince)
        {
            count += since >= 0 ? 1 : 0;
        }

        if (count == 0)
        {
            return [];
        }

        var active = new PlantFault[count];
        int j = 0;
        for (int i = 0; i < _faultSince.Length; i++)
        {
            if (_faultSince[i] >= 0)
            {
                active[j++] = (PlantFault)i;
            }
        }

        return active;
    }

    /// <summary>Velocity waveform (mm/s): running-speed harmonics, bearing defect lines with 1x sidebands, broadband noise.</summary>
    private void SynthesizeWaveform(Random noise, double shaftHz, double bearing, double cavitation)
    {
        double n = shaftHz * 60 / _options.NominalSpeedRpm;
        Span<double> amplitude = stackalloc double[7];
        Span<double> frequency = stackalloc double[7];
        Span<double> phase = stackalloc double[7];

        // Healthy machine: 1x (residual unbalance) dominates, 2x (misalignment) and 3x smaller; all scale with speed².
        amplitude[0] = 2.0 * n * n * (1 + (0.5 * bearing));
        amplitude[1] = 0.8 * n * n * (1 + (1.5 * bearing));
        amplitude[2] = 0.4 * n * n * (1 + (2.0 * bearing));

        // Bearing fault: outer race (BPFO) line, inner race (BPFI) line with sidebands at BPFI ± 1x.
        amplitude[3] = 3.0 * bearing * n;
        amplitude[4] = 2.0 * bearing * n;
        amplitude[5] = 1.0 * bearing * n;
        amplitude[6] = 1.0 * bearing * n;
        frequency[0] = shaftHz;
        frequency[1] = 2 * shaftHz;
        frequency[2] = 3 * shaftHz;
        frequency[3] = BpfoOrder * shaftHz;
        frequency[4] = BpfiOrder * shaftHz;
        frequency[5] = (BpfiOrder - 1) * shaftHz;
        frequency[6] = (BpfiOrder + 1) * shaftHz;
        for (int k = 0; k < phase.Length; k++)
        {
            phase[k] = noise.NextDouble() * 2 * Math.PI;
        }

        double broadband = 0.25 + (1.2 * cavitation);
        for (int i = 0; i < WaveformLength; i++)
        {
            double t = i / SampleRate;
            double v = Gaussian(noise, broadband);
            for (int k = 0; k < amplitude.Length; k++)
            {
                if (amplitude[k] != 0)
                {
                    v += amplitude[k] * Math.Sin((2 * Math.PI * frequency[k] * t) + phase[k]);
                }
            }

            _waveform[i] = v;
        }
    }

    private void DeriveVibration(double[] values, double shaftHz)
    {
        double sumSquares = 0;
        double peak = 0;
        foreach (double v in _waveform)
        {
            sumSquares += v * v;
            peak = Math.Max(peak, Math.Abs(v));
        }

        double rms = Math.Sqrt(sumSquares / WaveformLength);
        values[(int)PlantSignal.VibrationRms] = rms;
        values[(int)PlantSignal.VibrationCrestFactor] = rms > 0 ? peak / rms : 0;
        values[(int)PlantSignal.Vibration1x] = ToneAmplitude(shaftHz);
        values[(int)PlantSignal.Vibration2x] = ToneAmplitude(2 * shaftHz);
        values[(int)PlantSignal.Vibration3x] = ToneAmplitude(3 * shaftHz);
        values[(int)PlantSignal.VibrationBearing] = Math.Max(ToneAmplitude(BpfoOrder * shaftHz), ToneAmplitude(BpfiOrder * shaftHz));
    }

    /// <summary>Peak amplitude of one tone via a Hann-windowed single-bin DFT (Goertzel-equivalent), corrected for the window gain.</summary>
    private double ToneAmplitude(double hz)
    {
        if (hz <= 0)
        {
            return 0;
        }

        double w = 2 * Math.PI * hz / SampleRate;
        double re = 0;
        double im = 0;
        double windowSum = 0;
        for (int i = 0; i < WaveformLength; i++)
        {
            double x = _waveform[i] * _window[i];
            re += x * Math.Cos(w * i);
            im -= x * Math.Sin(w * i);
            windowSum += _window[i];
        }

        return 2 * Math.Sqrt((re * re) + (im * im)) / windowSum;
    }

    /// <summary>SplitMix64 finalizer over (seed, step): a stable, well-mixed 31-bit seed.</summary>
    internal static int StepSeed(int seed, long step)
    {
        ulong z = unchecked(((ulong)(uint)seed << 32) ^ (ulong)step) + 0x9E3779B97F4A7C15UL;
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        z ^= z >> 31;
        return (int)(z & 0x7FFFFFFF);
    }

    private static double Gaussian(Random random, double sigma)
    {
        // Box-Muller; 1 - u keeps the logarithm finite.
        double u1 = 1 - random.NextDouble();
        double u2 = random.NextDouble();
        return sigma * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    private readonly record struct Hydraulics(double Flow, double Pressure, double Current);
}
