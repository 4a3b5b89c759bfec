using System.Buffers;
using Microsoft.Extensions.Logging;
using SensorIngest.Configuration;
using SensorIngest.Modbus;

namespace SensorIngest.Polling;

/// <summary>
/// Polls one slave on its own schedule: cycle n starts at start + n x interval (no drift); a cycle that overruns skips
/// the slots it missed (counted) instead of bursting. Each cycle reads the coalesced <see cref="ReadPlan"/> blocks into
/// pooled buffers, decodes with <see cref="PointCodec"/> and hands one <see cref="TelemetryBatch"/> to the sink.
/// </summary>
public sealed partial class SlavePoller : IAsyncDisposable
{
    private readonly SlaveConfiguration _config;
    private readonly ITelemetrySink _sink;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ModbusClient _client;
    private readonly List<ReadBlock> _blocks;
    private readonly PointFormat[] _formats;
    private readonly int[] _decimals;
    private readonly ushort[]?[] _registers;
    private readonly bool[]?[] _bits;
    private readonly string _source;
    private readonly double[] _values;
    private readonly bool[] _good;
    private readonly Lock _lock = new();
    private long _seq;
    private bool _connected;
    private string? _lastError;
    private DateTimeOffset? _lastErrorAt;
    private double _latencyMs;
    private long _errors;
    private long _polls;
    private long _missed;
    private int _disposed;

    public SlavePoller(SlaveConfiguration config, ITelemetrySink sink, TimeProvider? time = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(sink);
        _config = config;
        _sink = sink;
        _time = time ?? TimeProvider.System;
        _logger = logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
        _source = "modbus://" + config.Name;
        _client = ModbusClient.CreateTcp(config.Host, config.Port, new ModbusClientOptions
        {
            Timeout = config.Timeout,
            Retries = config.RetryCount,
            RetryDelay = config.RetryInterval,
            Name = config.Name,
        });
        _blocks = ReadPlan.Build(config.Points);
        _values = new double[config.Points.Count];
        _good = new bool[config.Points.Count];
        _formats = new PointFormat[config.Points.Count];
        _decimals = new int[config.Points.Count];
        for (int i = 0; i < _formats.Length; i++)
        {
            _formats[i] = config.Points[i].Format;
            _decimals[i] = ScaledDecimals(config.Points[i]);
        }

        // One pooled buffer per block for the poller's lifetime: reads go straight into it, nothing is allocated per read.
        _registers = new ushort[]?[_blocks.Count];
        _bits = new bool[]?[_blocks.Count];
        for (int b = 0; b < _blocks.Count; b++)
        {
            if (_blocks[b].Function is 1 or 2)
            {
                _bits[b] = ArrayPool<bool>.Shared.Rent(_blocks[b].Count);
            }
            else
            {
                _registers[b] = ArrayPool<ushort>.Shared.Rent(_blocks[b].Count);
            }
        }
    }

    public string Name => _config.Name;

    public string Source => _source;

    /// <summary>Requests per cycle after coalescing.</summary>
    public int RequestsPerCycle => _blocks.Count;

    public SlaveHealth Health
    {
        get
        {
            lock (_lock)
            {
                return new SlaveHealth(_config.Name, _connected, _lastError, _lastErrorAt, _latencyMs, _errors, _polls, _missed);
            }
        }
    }

    /// <summary>Runs cycles until <paramref name="cancellationToken"/> is cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        TimeSpan interval = _config.PollingInterval;
        DateTimeOffset start = _time.GetUtcNow();
        long slot = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            DateTimeOffset due = start + (interval * slot);
            TimeSpan wait = due - _time.GetUtcNow();
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, _time, cancellationToken).ConfigureAwait(false);
            }

            try
            {
                TelemetryBatch batch = await PollOnceAsync(cancellationToken).ConfigureAwait(false);
                await _sink.PublishAsync(batch, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // The loop never dies: a failing sink is logged and the schedule goes on.
                PollerLog.PublishFailed(_logger, ex, _config.Name);
            }

            slot++;
            long behind = (_time.GetUtcNow() - start).Ticks / interval.Ticks;
            if (behind >= slot)
            {
                // Overran: skip to the next slot in the future rather than polling back to back.
                long skip = behind - slot + 1;
                slot += skip;
                lock (_lock)
                {
                    _missed += skip;
                }
            }
        }
    }

    /// <summary>One cycle: every block read, every point decoded (bad quality for points of blocks that failed).</summary>
    public async Task<TelemetryBatch> PollOnceAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<PointConfiguration> points = _config.Points;
        long started = _time.GetTimestamp();
        string ts = TelemetryPoint.FormatTimestamp(_time.GetUtcNow());
        Exception? failure = null;
        bool transportDown = false;
        byte unit = (byte)_config.UnitId;
        for (int b = 0; b < _blocks.Count; b++)
        {
            ReadBlock block = _blocks[b];
            Exception? error = null;
            if (!transportDown)
            {
                try
                {
                    await ReadAsync(block, b, unit, cancellationToken).ConfigureAwait(false);
                }
                catch (ModbusExceptionResponseException ex)
                {
                    error = ex;
                }
                catch (ModbusException ex)
                {
                    // Timeouts and I/O errors already went through the client's retries: the rest of this cycle
                    // would only wait the same timeout again, so its points are bad without asking.
                    error = ex;
                    transportDown = true;
                }
            }

            error ??= transportDown ? failure : null;
            failure ??= error;
            ushort[]? registers = _registers[b];
            bool[]? bits = _bits[b];
            foreach (int index in block.Points)
            {
                PointConfiguration p = points[index];
                _good[index] = error is null;
                if (error is null)
                {
                    int offset = p.Address - block.Start;
                    double value = bits is not null
                        ? ((bits[offset] ? 1 : 0) * p.Scale) + p.Offset
                        : PointCodec.DecodeDouble(registers.AsSpan(offset, p.Width), _formats[index]);
                    _values[index] = _decimals[index] >= 0 ? Math.Round(value, _decimals[index]) : value;
                }
            }
        }

        double latency = _time.GetElapsedTime(started).TotalMilliseconds;
        var list = new List<TelemetryPoint>(points.Count);
        lock (_lock)
        {
            // seq is handed out in configuration order so a consumer sees one increasing sequence per source.
            for (int i = 0; i < points.Count; i++)
            {
                bool good = _good[i];
                list.Add(new TelemetryPoint
                {
                    Signal = points[i].Signal,
                    Ts = ts,
                    Value = good ? _values[i] : null,
                    Unit = points[i].Unit,
                    Quality = good ? TelemetryPoint.Good : TelemetryPoint.Bad,
                    Seq = ++_seq,
                });
            }

            _polls++;
            _latencyMs = latency;
            _connected = !transportDown;
            if (failure is not null)
            {
                _errors++;
                _lastError = failure.Message;
                _lastErrorAt = _time.GetUtcNow();
            }
        }

        if (failure is not null)
        {
            PollerLog.PollFailed(_logger, _config.Name, failure.Message);
        }

        return new TelemetryBatch { Source = _source, Points = list };
    }

    /// <summary>
    /// An integer scaled by a decimal factor (raw 533 x 0.1) should read 53.3, not 53.300000000000004: round to the
    /// decimals of scale and offset. -1 (no rounding) for floating-point types and unscaled points.
    /// </summary>
    internal static int ScaledDecimals(PointConfiguration point)
    {
        if (point.Type is PointType.Float32 or PointType.Float64 || (point.Scale == 1 && point.Offset == 0))
        {
            return -1;
        }

        int decimals = Math.Max(Decimals(point.Scale), Decimals(point.Offset));
        return decimals;

        static int Decimals(double x)
        {
            for (int d = 0; d <= 15; d++)
            {
                if (Math.Round(x, d) == x)
                {
                    return d;
                }
            }

            return 15;
        }
    }

    private ValueTask ReadAsync(ReadBlock block, int b, byte unit, CancellationToken cancellationToken)
    {
        ushort address = (ushort)block.Start;
        return block.Function switch
        {
            1 => _client.ReadCoilsAsync(unit, address, _bits[b].AsMemory(0, block.Count), cancellationToken),
            2 => _client.ReadDiscreteInputsAsync(unit, address, _bits[b].AsMemory(0, block.Count), cancellationToken),
            3 => _client.ReadHoldingRegistersAsync(unit, address, _registers[b].AsMemory(0, block.Count), cancellationToken),
            _ => _client.ReadInputRegistersAsync(unit, address, _registers[b].AsMemory(0, block.Count), cancellationToken),
        };
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _client.DisposeAsync().ConfigureAwait(false);
        for (int b = 0; b < _blocks.Count; b++)
        {
            if (_bits[b] is { } bits)
            {
                ArrayPool<bool>.Shared.Return(bits);
            }

            if (_registers[b] is { } registers)
            {
                ArrayPool<ushort>.Shared.Return(registers);
            }
        }
    }

    private static partial class PollerLog
    {
        [LoggerMessage(EventId = 4101, Level = LogLevel.Warning, Message = "Slave {Slave}: poll failed: {Error}")]
        public static partial void PollFailed(ILogger logger, string slave, string error);

        [LoggerMessage(EventId = 4102, Level = LogLevel.Error, Message = "Slave {Slave}: publishing a batch failed")]
        public static partial void PublishFailed(ILogger logger, Exception exception, string slave);
    }
}
