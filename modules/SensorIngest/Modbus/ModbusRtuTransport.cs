using System.Diagnostics;
using System.IO.Ports;
using System.Net.Sockets;

namespace SensorIngest.Modbus;

/// <summary>
/// Modbus RTU framing (address, PDU, CRC) over a byte stream: a serial port, or a TCP socket to a serial gateway ("RTU over TCP").
/// One request at a time (the serial line is half duplex, Modbus over Serial Line v1.02 §2.1). On a serial port the master keeps
/// the 3.5-character silence (§2.5.1.1) before each request.
/// </summary>
internal sealed class ModbusRtuTransport : ModbusTransport
{
    private readonly Func<CancellationToken, Task<Stream>> _open;
    private readonly TimeSpan _interFrameDelay;
    private readonly TimeSpan _connectTimeout;
    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly byte[] _sendBuffer = new byte[ModbusLimits.MaxRtuAdu];
    private readonly byte[] _receiveBuffer = new byte[ModbusLimits.MaxRtuAdu];
    private Stream? _stream;
    private IDisposable? _owner;
    private long _lastActivity;
    private bool _disposed;

    private ModbusRtuTransport(string endpoint, Func<CancellationToken, Task<Stream>> open, TimeSpan interFrameDelay, TimeSpan connectTimeout)
    {
        (Endpoint, _open, _interFrameDelay, _connectTimeout) = (endpoint, open, interFrameDelay, connectTimeout);
    }

    public override string Endpoint { get; }

    public static ModbusRtuTransport OverTcp(string host, int port, TimeSpan connectTimeout)
    {
        ModbusRtuTransport? transport = null;
        transport = new ModbusRtuTransport($"rtu+tcp://{host}:{port}", async token =>
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(host, port, token).ConfigureAwait(false);
            }
            catch
            {
                socket.Dispose();
                throw;
            }

            transport!._owner = socket;
            return new NetworkStream(socket, ownsSocket: true);
        }, TimeSpan.Zero, connectTimeout);
        return transport;
    }

    public static ModbusRtuTransport OverSerial(SerialSettings settings, TimeSpan connectTimeout)
    {
        ModbusRtuTransport? transport = null;
        transport = new ModbusRtuTransport($"rtu://{settings.PortName}", _ =>
        {
            var port = new SerialPort(settings.PortName, settings.BaudRate, settings.Parity, settings.DataBits, settings.StopBits)
            {
                Handshake = Handshake.None,
            };
            try
            {
                port.Open();
            }
            catch (ArgumentException ex)
            {
                // System.IO.Ports reports a rejected termios setting (e.g. parity on a pseudo-terminal) as ArgumentException.
                port.Dispose();
                throw new IOException($"{settings.PortName} refused {settings.BaudRate} baud, {settings.DataBits}{settings.Parity.ToString()[0]}{settings.BitsPerCharacter - 1 - settings.DataBits - (settings.Parity == Parity.None ? 0 : 1)}: {ex.Message}", ex);
            }
            catch
            {
                port.Dispose();
                throw;
            }

            port.DiscardInBuffer();
            transport!._owner = port;
            return Task.FromResult(port.BaseStream);
        }, settings.InterFrameDelay, connectTimeout);
        return transport;
    }

    public override async ValueTask<int> ExchangeAsync(byte unit, ReadOnlyMemory<byte> request, Memory<byte> response, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Stream stream = _stream ??= await OpenAsync(cancellationToken).ConfigureAwait(false);
            await KeepSilenceAsync(cancellationToken).ConfigureAwait(false);
            int length = ModbusRtuFrame.WriteRequest(_sendBuffer, unit, request.Span);
            await stream.WriteAsync(_sendBuffer.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
            await stream.FlushAsync(cancellationToken).ConfigureAwait(false);

            int received = 0;
            while (true)
            {
                FrameStatus status = ModbusRtuFrame.TryDecodeResponse(_receiveBuffer.AsSpan(0, received), out byte responseUnit, out int frameLength, out string? error);
                if (status == FrameStatus.Invalid)
                {
                    throw new ModbusProtocolException(error!);
                }

                if (status == FrameStatus.Complete)
                {
                    _lastActivity = Stopwatch.GetTimestamp();
                    if (responseUnit != unit)
                    {
                        throw new ModbusProtocolException($"response from slave {responseUnit}, request was for slave {unit}");
                    }

                    ReadOnlySpan<byte> pdu = _receiveBuffer.AsSpan(1, frameLength - 3);
                    pdu.CopyTo(response.Span);
                    return pdu.Length;
                }

                // Read only up to the frame length known so far: never past this frame, never beyond the 256-byte ADU buffer.
                int read = await stream.ReadAsync(_receiveBuffer.AsMemory(received, frameLength - received), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    throw new IOException("the connection was closed");
                }

                received += read;
            }
        }
        finally
        {
            _lastActivity = Stopwatch.GetTimestamp();
            _lock.Release();
        }
    }

    private async ValueTask KeepSilenceAsync(CancellationToken cancellationToken)
    {
        if (_interFrameDelay <= TimeSpan.Zero)
        {
            return;
        }

        TimeSpan remaining = _interFrameDelay - Stopwatch.GetElapsedTime(_lastActivity);
        if (remaining > TimeSpan.FromMilliseconds(2))
        {
            await Task.Delay(remaining, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            // Sub-timer-resolution waits (1.75 ms at high baud rates) spin instead of oversleeping.
            while (Stopwatch.GetElapsedTime(_lastActivity) < _interFrameDelay)
            {
                Thread.SpinWait(50);
            }
        }
    }

    private async Task<Stream> OpenAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return await WithTimeoutAsync(_open, _connectTimeout, Endpoint, cancellationToken).ConfigureAwait(false);
    }

    public override async ValueTask ResetAsync()
    {
        await _lock.WaitAsync().ConfigureAwait(false);
        try
        {
            Close();
        }
        finally
        {
            _lock.Release();
        }
    }

    private void Close()
    {
        _stream?.Dispose();
        _owner?.Dispose();
        (_stream, _owner) = (null, null);
    }

    public override ValueTask DisposeAsync()
    {
        _disposed = true;
        Close();
        return ValueTask.CompletedTask;
    }
}
