using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace SensorIngest.Modbus;

/// <summary>
/// Modbus TCP (MBAP framing) over one socket. With MaxInFlight 1 each request is written and its response read by the caller
/// (no extra thread hop); above 1 a reader loop matches responses to requests by transaction id. Either way a response whose
/// transaction id matches nothing in flight is discarded and counted.
/// </summary>
internal sealed class ModbusTcpTransport : ModbusTransport
{
    private readonly string _host;
    private readonly int _port;
    private readonly TimeSpan _connectTimeout;
    private readonly int _maxInFlight;
    private readonly SemaphoreSlim _slots;
    private readonly SemaphoreSlim _connectLock = new(1, 1);
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly ConcurrentDictionary<ushort, Pending> _pending = new();
    private readonly byte[] _sendBuffer = new byte[ModbusLimits.MaxTcpAdu];
    private FrameReader _reader = new();
    private Socket? _socket;
    private int _transactionId;
    private bool _disposed;

    public ModbusTcpTransport(string host, int port, TimeSpan connectTimeout, int maxInFlight)
    {
        (_host, _port, _connectTimeout, _maxInFlight) = (host, port, connectTimeout, maxInFlight);
        _slots = new SemaphoreSlim(maxInFlight, maxInFlight);
    }

    public override string Endpoint => $"tcp://{_host}:{_port}";

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<int> ExchangeAsync(byte unit, ReadOnlyMemory<byte> request, Memory<byte> response, CancellationToken cancellationToken)
    {
        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Socket socket = await ConnectAsync(cancellationToken).ConfigureAwait(false);
            ushort transactionId = (ushort)Interlocked.Increment(ref _transactionId);
            return _maxInFlight == 1
                ? await ExchangeSerializedAsync(socket, transactionId, unit, request, response, cancellationToken).ConfigureAwait(false)
                : await ExchangePipelinedAsync(socket, transactionId, unit, request, response, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _slots.Release();
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> ExchangeSerializedAsync(Socket socket, ushort transactionId, byte unit, ReadOnlyMemory<byte> request, Memory<byte> response, CancellationToken cancellationToken)
    {
        int length = ModbusTcpFrame.WriteRequest(_sendBuffer, transactionId, unit, request.Span);
        await SendAllAsync(socket, _sendBuffer.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
        FrameReader reader = _reader;
        while (true)
        {
            // One receive usually brings the whole response; the header is validated before more is asked for.
            int frameLength;
            while (!reader.TryTakeFrame(out frameLength))
            {
                await ReceiveSomeAsync(socket, reader, frameLength, cancellationToken).ConfigureAwait(false);
            }

            ReadOnlySpan<byte> frame = reader.Frame(frameLength);
            ModbusTcpFrame.TryDecode(frame, out ushort id, out byte responseUnit, out _, out _);
            if (id != transactionId)
            {
                CountDiscarded(); // a late answer to a request that timed out, or a slave that numbers on its own
                continue;
            }

            return CopyPdu(frame, unit, responseUnit, response.Span);
        }
    }

    private async ValueTask<int> ExchangePipelinedAsync(Socket socket, ushort transactionId, byte unit, ReadOnlyMemory<byte> request, Memory<byte> response, CancellationToken cancellationToken)
    {
        var pending = new Pending(unit, response);
        if (!_pending.TryAdd(transactionId, pending))
        {
            throw new ModbusProtocolException($"transaction id {transactionId} is still in flight");
        }

        try
        {
            await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                int length = ModbusTcpFrame.WriteRequest(_sendBuffer, transactionId, unit, request.Span);
                await SendAllAsync(socket, _sendBuffer.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _writeLock.Release();
            }

            return await pending.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _pending.TryRemove(transactionId, out _);
        }
    }

    private async Task ReadLoopAsync(Socket socket)
    {
        var reader = new FrameReader();
        try
        {
            while (true)
            {
                int frameLength;
                while (!reader.TryTakeFrame(out frameLength))
                {
                    await ReceiveSomeAsync(socket, reader, frameLength, CancellationToken.None).ConfigureAwait(false);
                }

                ReadOnlySpan<byte> frame = reader.Frame(frameLength);
                ModbusTcpFrame.TryDecode(frame, out ushort id, out byte responseUnit, out _, out _);
                if (!_pending.TryRemove(id, out Pending? pending))
                {
                    CountDiscarded();
                    continue;
                }

                try
                {
                    pending.Completion.TrySetResult(CopyPdu(frame, pending.Unit, responseUnit, pending.Response.Span));
                }
                catch (ModbusException ex)
                {
                    pending.Completion.TrySetException(ex);
                }
            }
        }
        catch (Exception ex)
        {
            // The stream is out of step or closed: fail everything in flight; the client resets and reconnects.
            foreach (ushort id in _pending.Keys)
            {
                if (_pending.TryRemove(id, out Pending? pending))
                {
                    pending.Completion.TrySetException(ex is ModbusException or IOException ? ex : new IOException(ex.Message, ex));
                }
            }
        }
    }

    private static int CopyPdu(ReadOnlySpan<byte> frame, byte unit, byte responseUnit, Span<byte> response)
    {
        // The server echoes the unit identifier (TCP implementation guide §3.1.3).
        if (responseUnit != unit)
        {
            throw new ModbusProtocolException($"response for unit {responseUnit}, request was for unit {unit}");
        }

        ReadOnlySpan<byte> pdu = frame[ModbusTcpFrame.HeaderLength..];
        pdu.CopyTo(response);
        return pdu.Length;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private static async ValueTask ReceiveSomeAsync(Socket socket, FrameReader reader, int needed, CancellationToken cancellationToken)
    {
        Memory<byte> free = reader.FreeSpace(needed);
        int read = await socket.ReceiveAsync(free, SocketFlags.None, cancellationToken).ConfigureAwait(false);
        if (read == 0)
        {
            throw new IOException("the slave closed the connection");
        }

        reader.Count += read;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private static async ValueTask SendAllAsync(Socket socket, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        while (data.Length > 0)
        {
            int sent = await socket.SendAsync(data, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            data = data[sent..];
        }
    }

    private async ValueTask<Socket> ConnectAsync(CancellationToken cancellationToken)
    {
        Socket? socket = _socket;
        if (socket is not null)
        {
            return socket;
        }

        await _connectLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_socket is not null)
            {
                return _socket;
            }

            socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await WithTimeoutAsync(async token => { await socket.ConnectAsync(_host, _port, token).ConfigureAwait(false); return true; }, _connectTimeout, Endpoint, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                socket.Dispose();
                throw;
            }

            _reader = new FrameReader();
            _socket = socket;
            if (_maxInFlight > 1)
            {
                _ = ReadLoopAsync(socket);
            }

            return socket;
        }
        finally
        {
            _connectLock.Release();
        }
    }

    public override ValueTask ResetAsync()
    {
        Socket? socket = Interlocked.Exchange(ref _socket, null);
        socket?.Dispose();
        return ValueTask.CompletedTask;
    }

    public override async ValueTask DisposeAsync()
    {
        _disposed = true;
        await ResetAsync().ConfigureAwait(false);
    }

    private sealed class Pending(byte unit, Memory<byte> response)
    {
        public byte Unit { get; } = unit;

        public Memory<byte> Response { get; } = response;

        public TaskCompletionSource<int> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>
    /// Received bytes of one connection: frames are cut from the front, a partial frame waits for more. Holds at most two ADUs,
    /// and a header is validated (length 2..254) before its body is waited for, so a garbage length never grows anything.
    /// </summary>
    private sealed class FrameReader
    {
        private readonly byte[] _buffer = new byte[2 * ModbusLimits.MaxTcpAdu];
        private int _start;

        public int Count { get; set; }

        /// <summary>True with the frame's length when a whole frame is buffered; else false with the bytes needed in total.</summary>
        public bool TryTakeFrame(out int frameLength)
        {
            FrameStatus status = ModbusTcpFrame.TryDecode(_buffer.AsSpan(_start, Count), out _, out _, out frameLength, out string? error);
            return status switch
            {
                FrameStatus.Complete => true,
                FrameStatus.Invalid => throw new ModbusProtocolException(error!),
                _ => false,
            };
        }

        /// <summary>The frame at the front; consumed by this call (valid until the next receive).</summary>
        public ReadOnlySpan<byte> Frame(int frameLength)
        {
            var frame = new ReadOnlySpan<byte>(_buffer, _start, frameLength);
            _start += frameLength;
            Count -= frameLength;
            return frame;
        }

        /// <summary>Room after the buffered bytes for at least <paramref name="needed"/> bytes from the frame start, compacting first when needed.</summary>
        public Memory<byte> FreeSpace(int needed)
        {
            if (Count == 0)
            {
                _start = 0;
            }
            else if (_start + Math.Max(needed, Count + 1) > _buffer.Length)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, Count);
                _start = 0;
            }

            return _buffer.AsMemory(_start + Count);
        }
    }
}
