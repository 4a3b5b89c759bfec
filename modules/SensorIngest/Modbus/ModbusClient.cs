using System.Buffers;
using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace SensorIngest.Modbus;

/// <summary>
/// A Modbus master (client) for TCP, RTU over a serial line and RTU framing over TCP. Thread-safe; requests beyond the protocol
/// maxima are split. Every attempt is bounded by <see cref="ModbusClientOptions.Timeout"/>, so a caller with a token that cannot be
/// cancelled still gets a bounded call; timeouts, I/O and framing errors are retried with backoff on a fresh connection;
/// exception responses are not retried.
/// </summary>
public sealed class ModbusClient : IAsyncDisposable
{
    private static readonly KeyValuePair<string, object?>[] FunctionTags = CreateFunctionTags();
    private readonly ModbusTransport _transport;
    private readonly ModbusClientOptions _options;
    private int _disposed;
    private CancellationTokenSource? _cachedTimeout;

    private ModbusClient(ModbusTransport transport, ModbusClientOptions options)
    {
        (_transport, _options) = (transport, options);
    }

    /// <summary>Where the client connects (tcp://, rtu+tcp:// or rtu://).</summary>
    public string Endpoint => _transport.Endpoint;

    /// <summary>Responses dropped because their transaction id matched no request in flight.</summary>
    public long DiscardedResponses => _transport.Discarded;

    /// <summary>Modbus TCP (MBAP header) to <paramref name="host"/>:<paramref name="port"/>.</summary>
    public static ModbusClient CreateTcp(string host, int port = 502, ModbusClientOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        options = Validated(options);
        ModbusTransport transport = options.BlockingSocket
            ? new ModbusTcpBlockingTransport(host, port, options.ConnectTimeout, options.Timeout)
            : new ModbusTcpTransport(host, port, options.ConnectTimeout, options.MaxInFlight);
        return new ModbusClient(transport, options);
    }

    /// <summary>RTU frames (address, PDU, CRC) over a TCP socket, as serial-to-Ethernet gateways in "transparent" mode expect.</summary>
    public static ModbusClient CreateRtuOverTcp(string host, int port, ModbusClientOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        options = Validated(options);
        return new ModbusClient(ModbusRtuTransport.OverTcp(host, port, options.ConnectTimeout), options);
    }

    /// <summary>Modbus RTU on a serial port.</summary>
    public static ModbusClient CreateRtu(SerialSettings serial, ModbusClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(serial);
        options = Validated(options);
        return new ModbusClient(ModbusRtuTransport.OverSerial(serial, options.ConnectTimeout), options);
    }

    /// <summary>FC1: fills <paramref name="destination"/> with coils from <paramref name="address"/>.</summary>
    public ValueTask ReadCoilsAsync(byte unit, ushort address, Memory<bool> destination, CancellationToken cancellationToken = default)
        => ReadBitsAsync(ModbusFunction.ReadCoils, unit, address, destination, cancellationToken);

    /// <summary>FC1.</summary>
    public async Task<bool[]> ReadCoilsAsync(byte unit, ushort address, int count, CancellationToken cancellationToken = default)
    {
        var values = new bool[CheckCount(count)];
        await ReadCoilsAsync(unit, address, values, cancellationToken).ConfigureAwait(false);
        return values;
    }

    /// <summary>FC2.</summary>
    public ValueTask ReadDiscreteInputsAsync(byte unit, ushort address, Memory<bool> destination, CancellationToken cancellationToken = default)
        => ReadBitsAsync(ModbusFunction.ReadDiscreteInputs, unit, address, destination, cancellationToken);

    /// <summary>FC2.</summary>
    public async Task<bool[]> ReadDiscreteInputsAsync(byte unit, ushort address, int count, CancellationToken cancellationToken = default)
    {
        var values = new bool[CheckCount(count)];
        await ReadDiscreteInputsAsync(unit, address, values, cancellationToken).ConfigureAwait(false);
        return values;
    }

    /// <summary>FC3: fills <paramref name="destination"/> (any length; split into requests of 125) without allocating per call.</summary>
    public ValueTask ReadHoldingRegistersAsync(byte unit, ushort address, Memory<ushort> destination, CancellationToken cancellationToken = default)
        => ReadRegistersAsync(ModbusFunction.ReadHoldingRegisters, unit, address, destination, cancellationToken);

    /// <summary>FC3.</summary>
    public async Task<ushort[]> ReadHoldingRegistersAsync(byte unit, ushort address, int count, CancellationToken cancellationToken = default)
    {
        var values = new ushort[CheckCount(count)];
        await ReadHoldingRegistersAsync(unit, address, values, cancellationToken).ConfigureAwait(false);
        return values;
    }

    /// <summary>FC4: fills <paramref name="destination"/> (split into requests of 125).</summary>
    public ValueTask ReadInputRegistersAsync(byte unit, ushort address, Memory<ushort> destination, CancellationToken cancellationToken = default)
        => ReadRegistersAsync(ModbusFunction.ReadInputRegisters, unit, address, destination, cancellationToken);

    /// <summary>FC4.</summary>
    public async Task<ushort[]> ReadInputRegistersAsync(byte unit, ushort address, int count, CancellationToken cancellationToken = default)
    {
        var values = new ushort[CheckCount(count)];
        await ReadInputRegistersAsync(unit, address, values, cancellationToken).ConfigureAwait(false);
        return values;
    }

    /// <summary>FC5 (§6.5): on is sent as FF00, off as 0000.</summary>
    public async Task WriteSingleCoilAsync(byte unit, ushort address, bool value, CancellationToken cancellationToken = default)
    {
        byte[] request = ArrayPool<byte>.Shared.Rent(ModbusLimits.MaxPdu);
        try
        {
            int length = ModbusPdu.WriteSingle(request, ModbusFunction.WriteSingleCoil, address, value ? (ushort)0xFF00 : (ushort)0);
            await ExecuteAsync(unit, ModbusFunction.WriteSingleCoil, request.AsMemory(0, length), static (response, request, _) => ModbusPdu.ParseWriteEcho(response, request), default(Memory<byte>), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(request);
        }
    }

    /// <summary>FC6 (§6.6).</summary>
    public async Task WriteSingleRegisterAsync(byte unit, ushort address, ushort value, CancellationToken cancellationToken = default)
    {
        byte[] request = ArrayPool<byte>.Shared.Rent(ModbusLimits.MaxPdu);
        try
        {
            int length = ModbusPdu.WriteSingle(request, ModbusFunction.WriteSingleRegister, address, value);
            await ExecuteAsync(unit, ModbusFunction.WriteSingleRegister, request.AsMemory(0, length), static (response, request, _) => ModbusPdu.ParseWriteEcho(response, request), default(Memory<byte>), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(request);
        }
    }

    /// <summary>FC15 (§6.11). More than 1968 coils are written in several requests (not atomic).</summary>
    public async Task WriteMultipleCoilsAsync(byte unit, ushort address, ReadOnlyMemory<bool> values, CancellationToken cancellationToken = default)
    {
        CheckRange(address, CheckCount(values.Length));
        byte[] request = ArrayPool<byte>.Shared.Rent(ModbusLimits.MaxPdu);
        try
        {
            for (int offset = 0; offset < values.Length; offset += ModbusLimits.MaxWriteCoils)
            {
                ReadOnlyMemory<bool> chunk = values.Slice(offset, Math.Min(ModbusLimits.MaxWriteCoils, values.Length - offset));
                int length = ModbusPdu.WriteMultipleCoils(request, (ushort)(address + offset), chunk.Span);
                await ExecuteAsync(unit, ModbusFunction.WriteMultipleCoils, request.AsMemory(0, length), static (response, request, _) => ModbusPdu.ParseWriteEcho(response, request), default(Memory<byte>), cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(request);
        }
    }

    /// <summary>FC16 (§6.12). More than 123 registers are written in several requests (not atomic).</summary>
    public async Task WriteMultipleRegistersAsync(byte unit, ushort address, ReadOnlyMemory<ushort> values, CancellationToken cancellationToken = default)
    {
        CheckRange(address, CheckCount(values.Length));
        byte[] request = ArrayPool<byte>.Shared.Rent(ModbusLimits.MaxPdu);
        try
        {
            for (int offset = 0; offset < values.Length; offset += ModbusLimits.MaxWriteRegisters)
            {
                ReadOnlyMemory<ushort> chunk = values.Slice(offset, Math.Min(ModbusLimits.MaxWriteRegisters, values.Length - offset));
                int length = ModbusPdu.WriteMultipleRegisters(request, (ushort)(address + offset), chunk.Span);
                await ExecuteAsync(unit, ModbusFunction.WriteMultipleRegisters, request.AsMemory(0, length), static (response, request, _) => ModbusPdu.ParseWriteEcho(response, request), default(Memory<byte>), cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(request);
        }
    }

    /// <summary>FC23 (§6.17): writes <paramref name="values"/> at <paramref name="writeAddress"/>, then reads into <paramref name="readDestination"/>, in one transaction (at most 125 read, 121 written).</summary>
    public async ValueTask ReadWriteMultipleRegistersAsync(byte unit, ushort readAddress, Memory<ushort> readDestination, ushort writeAddress, ReadOnlyMemory<ushort> values, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(readDestination.Length, 1, nameof(readDestination));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(readDestination.Length, ModbusLimits.MaxReadWriteRead, nameof(readDestination));
        ArgumentOutOfRangeException.ThrowIfLessThan(values.Length, 1, nameof(values));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(values.Length, ModbusLimits.MaxReadWriteWrite, nameof(values));
        CheckRange(readAddress, readDestination.Length);
        CheckRange(writeAddress, values.Length);
        byte[] request = ArrayPool<byte>.Shared.Rent(ModbusLimits.MaxPdu);
        try
        {
            int length = ModbusPdu.WriteReadWrite(request, readAddress, readDestination.Length, writeAddress, values.Span);
            await ExecuteAsync(unit, ModbusFunction.ReadWriteMultipleRegisters, request.AsMemory(0, length), static (response, _, destination) => ModbusPdu.ParseRegisters(response, ModbusFunction.ReadWriteMultipleRegisters, destination.Span), readDestination, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(request);
        }
    }

    /// <summary>FC23.</summary>
    public async Task<ushort[]> ReadWriteMultipleRegistersAsync(byte unit, ushort readAddress, int readCount, ushort writeAddress, ushort[] values, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        var read = new ushort[CheckCount(readCount)];
        await ReadWriteMultipleRegistersAsync(unit, readAddress, read, writeAddress, values, cancellationToken).ConfigureAwait(false);
        return read;
    }

    /// <summary>Closes the connection; safe to call twice.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            await _transport.DisposeAsync().ConfigureAwait(false);
            Interlocked.Exchange(ref _cachedTimeout, null)?.Dispose();
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask ReadRegistersAsync(ModbusFunction function, byte unit, ushort address, Memory<ushort> destination, CancellationToken cancellationToken)
    {
        CheckRange(address, CheckCount(destination.Length));
        byte[] request = ArrayPool<byte>.Shared.Rent(ModbusLimits.MaxPdu);
        try
        {
            // §6.3/§6.4: at most 125 registers per request; larger reads become consecutive requests.
            for (int offset = 0; offset < destination.Length; offset += ModbusLimits.MaxReadRegisters)
            {
                int count = Math.Min(ModbusLimits.MaxReadRegisters, destination.Length - offset);
                int length = ModbusPdu.WriteRead(request, function, (ushort)(address + offset), count);
                await ExecuteAsync(unit, function, request.AsMemory(0, length), static (response, request, destination) => ModbusPdu.ParseRegisters(response, (ModbusFunction)request[0], destination.Span), destination.Slice(offset, count), cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(request);
        }
    }

    private async ValueTask ReadBitsAsync(ModbusFunction function, byte unit, ushort address, Memory<bool> destination, CancellationToken cancellationToken)
    {
        CheckRange(address, CheckCount(destination.Length));
        byte[] request = ArrayPool<byte>.Shared.Rent(ModbusLimits.MaxPdu);
        try
        {
            // §6.1/§6.2: at most 2000 bits per request.
            for (int offset = 0; offset < destination.Length; offset += ModbusLimits.MaxReadBits)
            {
                int count = Math.Min(ModbusLimits.MaxReadBits, destination.Length - offset);
                int length = ModbusPdu.WriteRead(request, function, (ushort)(address + offset), count);
                await ExecuteAsync(unit, function, request.AsMemory(0, length), static (response, request, destination) => ModbusPdu.ParseBits(response, (ModbusFunction)request[0], destination.Span), destination.Slice(offset, count), cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(request);
        }
    }

    private delegate void ResponseParser<TState>(ReadOnlySpan<byte> response, ReadOnlySpan<byte> request, TState state);

    /// <summary>One request with timeout per attempt, retries with exponential backoff and a fresh connection after a failure.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask ExecuteAsync<TState>(byte unit, ModbusFunction function, ReadOnlyMemory<byte> request, ResponseParser<TState> parse, TState state, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        long started = Stopwatch.GetTimestamp();
        ModbusMetrics.Requests.Add(1, FunctionTags[(byte)function]);
        byte[] response = ArrayPool<byte>.Shared.Rent(ModbusLimits.MaxPdu);
        try
        {
            TimeSpan delay = _options.RetryDelay;
            for (int attempt = 0; ; attempt++)
            {
                Exception failure;
                string kind;
                CancellationTokenSource attemptCts = RentTimeout();
                CancellationTokenRegistration link = cancellationToken.CanBeCanceled
                    ? cancellationToken.UnsafeRegister(static cts => ((CancellationTokenSource)cts!).Cancel(), attemptCts)
                    : default;
                try
                {
                    attemptCts.CancelAfter(_options.Timeout);
                    try
                    {
                        int length = await _transport.ExchangeAsync(unit, request, response, attemptCts.Token).ConfigureAwait(false);
                        parse(response.AsSpan(0, length), request.Span, state);
                        return;
                    }
                    catch (ModbusExceptionResponseException)
                    {
                        ModbusMetrics.Error("exception");
                        throw;
                    }
                    catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                    {
                        (failure, kind) = (new ModbusTimeoutException($"{Endpoint} unit {unit}: no response to function {(byte)function} within {_options.Timeout.TotalMilliseconds:0} ms (attempt {attempt + 1} of {_options.Retries + 1})"), "timeout");
                    }
                    catch (ModbusTimeoutException ex)
                    {
                        (failure, kind) = (ex, "timeout");
                    }
                    catch (ModbusProtocolException ex)
                    {
                        (failure, kind) = (new ModbusProtocolException($"{Endpoint} unit {unit}: {ex.Message}", ex), "protocol");
                    }
                    catch (Exception ex) when (ex is IOException or SocketException or UnauthorizedAccessException or InvalidOperationException)
                    {
                        (failure, kind) = (new ModbusException($"{Endpoint} unit {unit}: {ex.Message}", ex), "io");
                    }
                }
                finally
                {
                    await link.DisposeAsync().ConfigureAwait(false);
                    ReturnTimeout(attemptCts);
                }

                ModbusMetrics.Error(kind);
                await _transport.ResetAsync().ConfigureAwait(false);
                if (attempt >= _options.Retries)
                {
                    throw failure;
                }

                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(10).Ticks));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(response);
            ModbusMetrics.Duration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, FunctionTags[(byte)function]);
        }
    }

    /// <summary>
    /// A timeout source for one attempt. One is cached and reset (<see cref="CancellationTokenSource.TryReset"/>) so that a poll
    /// does not allocate a source and a timer each time; concurrent requests get fresh ones.
    /// </summary>
    private CancellationTokenSource RentTimeout() => Interlocked.Exchange(ref _cachedTimeout, null) ?? new CancellationTokenSource();

    private void ReturnTimeout(CancellationTokenSource cts)
    {
        if (!cts.TryReset() || Interlocked.CompareExchange(ref _cachedTimeout, cts, null) is not null)
        {
            cts.Dispose();
        }
    }

    private static ModbusClientOptions Validated(ModbusClientOptions? options)
    {
        options ??= new ModbusClientOptions();
        options.Validate();
        return options;
    }

    private static int CheckCount(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1, nameof(count));
        return count;
    }

    private static void CheckRange(ushort address, int count)
    {
        if (address + count > 65536)
        {
            throw new ArgumentOutOfRangeException(nameof(count), $"address {address} + count {count} passes the end of the 65536-entry address space");
        }
    }

    private static KeyValuePair<string, object?>[] CreateFunctionTags()
    {
        var tags = new KeyValuePair<string, object?>[256];
        for (int i = 0; i < tags.Length; i++)
        {
            tags[i] = new("function", Enum.IsDefined((ModbusFunction)i) ? ((ModbusFunction)i).ToString() : i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        return tags;
    }
}
