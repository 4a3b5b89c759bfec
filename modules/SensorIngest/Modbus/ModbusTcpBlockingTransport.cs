using System.Net.Sockets;

namespace SensorIngest.Modbus;

/// <summary>
/// Modbus TCP over a socket in blocking mode, one request at a time on the caller's thread (what libmodbus does). It skips the
/// hand-off of every receive completion from the socket engine to a pool thread, so a loopback or LAN poll is about a third
/// faster, at the price of a pool thread blocked for each round trip (up to the timeout for a silent slave). Opt-in through
/// <see cref="ModbusClientOptions.BlockingSocket"/>; meant for few, fast slaves and tools.
/// </summary>
internal sealed class ModbusTcpBlockingTransport : ModbusTransport
{
    private readonly string _host;
    private readonly int _port;
    private readonly TimeSpan _connectTimeout;
    private readonly TimeSpan _timeout;
    private readonly Lock _lock = new();
    private readonly byte[] _sendBuffer = new byte[ModbusLimits.MaxTcpAdu];
    private readonly byte[] _receiveBuffer = new byte[ModbusLimits.MaxTcpAdu];
    private Socket? _socket;
    private int _transactionId;
    private bool _disposed;

    public ModbusTcpBlockingTransport(string host, int port, TimeSpan connectTimeout, TimeSpan timeout)
    {
        (_host, _port, _connectTimeout, _timeout) = (host, port, connectTimeout, timeout);
    }

    public override string Endpoint => $"tcp://{_host}:{_port}";

    public override ValueTask<int> ExchangeAsync(byte unit, ReadOnlyMemory<byte> request, Memory<byte> response, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            cancellationToken.ThrowIfCancellationRequested();
            Socket socket = _socket ??= Connect();

            // Cancellation (caller or the client's per-attempt timeout) closes the socket, which ends a blocked receive.
            using CancellationTokenRegistration registration = cancellationToken.UnsafeRegister(static s => ((Socket)s!).Dispose(), socket);
            try
            {
                ushort transactionId = unchecked((ushort)++_transactionId);
                int length = ModbusTcpFrame.WriteRequest(_sendBuffer, transactionId, unit, request.Span);
                socket.Send(_sendBuffer.AsSpan(0, length));
                while (true)
                {
                    ReceiveExactly(socket, _receiveBuffer.AsSpan(0, ModbusTcpFrame.HeaderLength));
                    if (ModbusTcpFrame.TryDecode(_receiveBuffer.AsSpan(0, ModbusTcpFrame.HeaderLength), out _, out _, out int frameLength, out string? error) == FrameStatus.Invalid)
                    {
                        throw new ModbusProtocolException(error!);
                    }

                    ReceiveExactly(socket, _receiveBuffer.AsSpan(ModbusTcpFrame.HeaderLength, frameLength - ModbusTcpFrame.HeaderLength));
                    ModbusTcpFrame.TryDecode(_receiveBuffer.AsSpan(0, frameLength), out ushort id, out byte responseUnit, out _, out _);
                    if (id != transactionId)
                    {
                        CountDiscarded();
                        continue;
                    }

                    if (responseUnit != unit)
                    {
                        throw new ModbusProtocolException($"response for unit {responseUnit}, request was for unit {unit}");
                    }

                    ReadOnlySpan<byte> pdu = _receiveBuffer.AsSpan(ModbusTcpFrame.HeaderLength, frameLength - ModbusTcpFrame.HeaderLength);
                    pdu.CopyTo(response.Span);
                    return ValueTask.FromResult(pdu.Length);
                }
            }
            catch (Exception ex) when (cancellationToken.IsCancellationRequested && ex is SocketException or ObjectDisposedException or IOException)
            {
                _socket = null;
                throw new OperationCanceledException(cancellationToken);
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.TimedOut)
            {
                throw new OperationCanceledException("receive timed out", ex);
            }
        }
    }

    private Socket Connect()
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            // A synchronous connect keeps the socket in true blocking mode: after any asynchronous operation the runtime switches
            // it to non-blocking and only emulates blocking calls, which costs as much as the thread hop this transport avoids.
            using (var timer = new Timer(static s => ((Socket)s!).Dispose(), socket, _connectTimeout, Timeout.InfiniteTimeSpan))
            {
                try
                {
                    socket.Connect(_host, _port);
                }
                catch (Exception ex) when (ex is ObjectDisposedException or SocketException { SocketErrorCode: SocketError.OperationAborted or SocketError.Interrupted or SocketError.NotSocket or SocketError.Shutdown })
                {
                    throw new ModbusTimeoutException($"connecting to {Endpoint} timed out after {_connectTimeout.TotalMilliseconds:0} ms", ex);
                }
            }

            // A bound on a blocked receive even if the cancellation callback could not run.
            socket.ReceiveTimeout = (int)Math.Ceiling(_timeout.TotalMilliseconds) + 1000;
            socket.SendTimeout = socket.ReceiveTimeout;
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static void ReceiveExactly(Socket socket, Span<byte> buffer)
    {
        while (buffer.Length > 0)
        {
            int read = socket.Receive(buffer);
            if (read == 0)
            {
                throw new IOException("the slave closed the connection");
            }

            buffer = buffer[read..];
        }
    }

    public override ValueTask ResetAsync()
    {
        Interlocked.Exchange(ref _socket, null)?.Dispose();
        return ValueTask.CompletedTask;
    }

    public override ValueTask DisposeAsync()
    {
        _disposed = true;
        return ResetAsync();
    }
}
