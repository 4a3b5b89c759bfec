using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace SimulatedPlant.Modbus;

/// <summary>Settings of <see cref="ModbusTcpServer"/>.</summary>
public sealed class ModbusTcpServerOptions
{
    /// <summary>Address to listen on; loopback by default.</summary>
    public IPAddress Address { get; set; } = IPAddress.Loopback;

    /// <summary>TCP port; 0 picks a free one (read it back from <see cref="ModbusTcpServer.Port"/>).</summary>
    public int Port { get; set; }

    /// <summary>Connections beyond this are closed right after accept.</summary>
    public int MaxConnections { get; set; } = 64;
}

/// <summary>
/// Modbus TCP server (Modbus Messaging on TCP/IP Implementation Guide v1.0b) over an <see cref="IModbusDataModel"/>.
/// Many concurrent clients; requests pipelined on one connection are answered in order; per connection one pooled
/// receive buffer and one pooled send buffer, no allocation per request.
/// </summary>
public sealed class ModbusTcpServer : IAsyncDisposable
{
    private const int ReceiveBufferLength = 4 * ModbusLimits.MaxAduLength;
    private const int SendBufferLength = 4 * ModbusLimits.MaxAduLength;

    private readonly IModbusDataModel _model;
    private readonly ModbusTcpServerOptions _options;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<int, (TcpClient Client, Task Task)> _connections = new();
    private readonly CancellationTokenSource _stopping = new();
    private TcpListener? _listener;
    private Task? _acceptLoop;
    private int _nextConnectionId;
    private long _requests;
    private int _stopped;

    public ModbusTcpServer(IModbusDataModel model, ModbusTcpServerOptions? options = null, ILogger<ModbusTcpServer>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        _model = model;
        _options = options ?? new ModbusTcpServerOptions();
        ArgumentOutOfRangeException.ThrowIfNegative(_options.Port, nameof(options));
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>The port the server listens on (valid after <see cref="StartAsync"/>).</summary>
    public int Port { get; private set; }

    /// <summary>Open client connections.</summary>
    public int ConnectionCount => _connections.Count;

    /// <summary>Requests answered (including exception responses) since start.</summary>
    public long RequestCount => Interlocked.Read(ref _requests);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (_listener is not null)
        {
            throw new InvalidOperationException("The server is already started.");
        }

        _listener = new TcpListener(_options.Address, _options.Port);
        _listener.Start(backlog: 128);
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        PlantLog.ModbusListening(_logger, _options.Address.ToString(), Port);
        _acceptLoop = Task.Run(() => AcceptLoopAsync(_stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>Stops listening and closes every connection. Safe to call twice.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1 || _listener is null)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        foreach ((TcpClient client, _) in _connections.Values)
        {
            client.Dispose();
        }

        Task[] tasks = [.. _connections.Values.Select(c => c.Task), _acceptLoop ?? Task.CompletedTask];
        try
        {
            await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Bounded shutdown: sockets are closed already; a task still unwinding is left to finish on its own.
            PlantLog.ModbusStopTimedOut(_logger, _connections.Count);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        _stopping.Dispose();
    }

    private async Task AcceptLoopAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener!.AcceptTcpClientAsync(ct).ConfigureAwait(false);
            }
            catch (Exception) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException ex)
            {
                PlantLog.ModbusAcceptFailed(_logger, ex);
                continue;
            }

            if (_connections.Count >= _options.MaxConnections)
            {
                PlantLog.ModbusConnectionRejected(_logger, _options.MaxConnections);
                PlantMetrics.ModbusConnectionsClosed.Add(1);
                client.Dispose();
                continue;
            }

            client.NoDelay = true;
            int id = Interlocked.Increment(ref _nextConnectionId);
            var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Task task = Task.Run(
                async () =>
                {
                    await started.Task.ConfigureAwait(false);
                    try
                    {
                        await ServeAsync(client, ct).ConfigureAwait(false);
                    }
                    finally
                    {
                        _connections.TryRemove(id, out _);
                        client.Dispose();
                    }
                },
                CancellationToken.None);
            _connections[id] = (client, task);
            started.SetResult();
        }
    }

    private async Task ServeAsync(TcpClient client, CancellationToken ct)
    {
        byte[] receive = ArrayPool<byte>.Shared.Rent(ReceiveBufferLength);
        byte[] send = ArrayPool<byte>.Shared.Rent(SendBufferLength);
        try
        {
            NetworkStream stream = client.GetStream();
            int filled = 0;
            while (!ct.IsCancellationRequested)
            {
                int read = await stream.ReadAsync(receive.AsMemory(filled, ReceiveBufferLength - filled), ct).ConfigureAwait(false);
                if (read == 0)
                {
                    return;
                }

                filled += read;
                int consumed = 0;
                int pending = 0;
                while (true)
                {
                    FrameResult result = ProcessFrame(receive.AsSpan(consumed, filled - consumed), send.AsSpan(pending), out int frameLength, out int responseLength);
                    if (result == FrameResult.Incomplete)
                    {
                        break;
                    }

                    if (result == FrameResult.Close)
                    {
                        if (pending > 0)
                        {
                            await stream.WriteAsync(send.AsMemory(0, pending), ct).ConfigureAwait(false);
                        }

                        PlantMetrics.ModbusConnectionsClosed.Add(1);
                        PlantLog.ModbusFrameRejected(_logger, ((IPEndPoint?)client.Client.RemoteEndPoint)?.ToString() ?? "?");
                        return;
                    }

                    consumed += frameLength;
                    pending += responseLength;
                    Interlocked.Increment(ref _requests);
                    PlantMetrics.ModbusRequests.Add(1);
                    if ((send[pending - responseLength + ModbusLimits.MbapHeaderLength] & 0x80) != 0)
                    {
                        PlantMetrics.ModbusExceptions.Add(1);
                    }

                    // Pipelined requests are answered in one write; flush before the send buffer could overflow.
                    if (SendBufferLength - pending < ModbusLimits.MaxAduLength)
                    {
                        await stream.WriteAsync(send.AsMemory(0, pending), ct).ConfigureAwait(false);
                        pending = 0;
                    }
                }

                if (pending > 0)
                {
                    await stream.WriteAsync(send.AsMemory(0, pending), ct).ConfigureAwait(false);
                }

                // Keep the partial frame at the front of the buffer.
                receive.AsSpan(consumed, filled - consumed).CopyTo(receive);
                filled -= consumed;
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The peer went away or the server is stopping; nothing to answer.
        }
        catch (Exception ex)
        {
            // A data model that throws costs this connection only; the server keeps accepting.
            PlantLog.ModbusConnectionFailed(_logger, ex);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(receive);
            ArrayPool<byte>.Shared.Return(send);
        }
    }

    /// <summary>
    /// Frames one ADU from <paramref name="input"/> and writes the response ADU into <paramref name="output"/>.
    /// MBAP header (Messaging on TCP/IP v1.0b §3.1.3): transaction id (echoed), protocol id (must be 0),
    /// length (unit id + PDU, so 2..254 for a 253-byte PDU), unit id (echoed; every unit id is served).
    /// A header that breaks these rules leaves no way to find the next frame, so the connection is closed.
    /// </summary>
    internal FrameResult ProcessFrame(ReadOnlySpan<byte> input, Span<byte> output, out int frameLength, out int responseLength)
    {
        frameLength = 0;
        responseLength = 0;
        if (input.Length < ModbusLimits.MbapHeaderLength)
        {
            return input.Length >= 6 && !HeaderValid(input) ? FrameResult.Close : FrameResult.Incomplete;
        }

        if (!HeaderValid(input))
        {
            return FrameResult.Close;
        }

        int length = BinaryPrimitives.ReadUInt16BigEndian(input[4..]);
        frameLength = 6 + length;
        if (input.Length < frameLength)
        {
            frameLength = 0;
            return FrameResult.Incomplete;
        }

        ReadOnlySpan<byte> pdu = input.Slice(ModbusLimits.MbapHeaderLength, length - 1);
        int pduLength = ModbusPduProcessor.Process(pdu, output[ModbusLimits.MbapHeaderLength..], _model);
        if (pduLength == 0)
        {
            return FrameResult.Close;
        }

        input[..4].CopyTo(output);
        BinaryPrimitives.WriteUInt16BigEndian(output[4..], (ushort)(pduLength + 1));
        output[6] = input[6];
        responseLength = ModbusLimits.MbapHeaderLength + pduLength;
        return FrameResult.Response;
    }

    private static bool HeaderValid(ReadOnlySpan<byte> header)
    {
        if (header.Length >= 4 && BinaryPrimitives.ReadUInt16BigEndian(header[2..]) != 0)
        {
            return false;
        }

        if (header.Length >= 6)
        {
            int length = BinaryPrimitives.ReadUInt16BigEndian(header[4..]);
            return length is >= 2 and <= ModbusLimits.MaxPduLength + 1;
        }

        return true;
    }

    internal enum FrameResult
    {
        Incomplete,
        Response,
        Close,
    }
}
