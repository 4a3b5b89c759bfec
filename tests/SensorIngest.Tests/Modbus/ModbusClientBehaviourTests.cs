using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using SensorIngest.Modbus;

namespace SensorIngest.Tests.Modbus;

/// <summary>Transaction ids, timeouts, retries, reconnects and exception responses against a scripted loopback slave.</summary>
[Trait("Category", "Unit")]
public sealed class ModbusClientBehaviourTests : IAsyncDisposable
{
    private readonly ScriptedSlave _slave = new();

    [Theory]
    [InlineData(false, 1)]
    [InlineData(false, 4)]
    [InlineData(true, 1)]
    public async Task ReadHoldingRegisters_WhenSlaveSendsAStaleTransactionFirst_DiscardsAndCountsIt(bool blockingSocket, int maxInFlight)
    {
        _slave.Respond = (request, connection) =>
        {
            ushort id = BinaryPrimitives.ReadUInt16BigEndian(request);
            return [.. Response((ushort)(id + 100), [0x03, 0x02, 0xDE, 0xAD]), .. Response(id, [0x03, 0x02, 0x12, 0x34])];
        };
        var options = Options();
        (options.BlockingSocket, options.MaxInFlight) = (blockingSocket, maxInFlight);
        await using var client = ModbusClient.CreateTcp("127.0.0.1", _slave.Port, options);
        Assert.Equal(new ushort[] { 0x1234 }, await client.ReadHoldingRegistersAsync(1, 0, 1));
        Assert.Equal(1, client.DiscardedResponses);
    }

    [Fact]
    public async Task ReadHoldingRegisters_WhenSlaveIsSilentOnce_TimesOutThenRetriesOnANewConnection()
    {
        int requests = 0;
        _slave.Respond = (request, _) => Interlocked.Increment(ref requests) == 1
            ? []
            : Response(BinaryPrimitives.ReadUInt16BigEndian(request), [0x03, 0x02, 0x00, 0x07]);
        await using var client = ModbusClient.CreateTcp("127.0.0.1", _slave.Port, Options(retries: 1, timeoutMs: 500));
        Assert.Equal(new ushort[] { 7 }, await client.ReadHoldingRegistersAsync(1, 0, 1));
        Assert.Equal(2, _slave.Connections);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ReadHoldingRegisters_WhenSlaveNeverAnswers_ThrowsTimeoutAfterEveryAttempt(bool blockingSocket)
    {
        _slave.Respond = (_, _) => [];
        var options = Options(retries: 2, timeoutMs: 300);
        options.BlockingSocket = blockingSocket;
        await using var client = ModbusClient.CreateTcp("127.0.0.1", _slave.Port, options);
        var started = DateTime.UtcNow;
        await Assert.ThrowsAsync<ModbusTimeoutException>(() => client.ReadHoldingRegistersAsync(1, 0, 1));
        TimeSpan elapsed = DateTime.UtcNow - started;
        // The slave counts a request when its loop has read it, which under load can trail the client's last timeout.
        for (int i = 0; i < 100 && _slave.Requests < 3; i++)
        {
            await Task.Delay(10);
        }

        Assert.Equal(3, _slave.Requests);
        Assert.True(elapsed < TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task ReadHoldingRegisters_WhenSlaveReturnsException02_ThrowsWithCodeAndDoesNotRetry()
    {
        _slave.Respond = (request, _) => Response(BinaryPrimitives.ReadUInt16BigEndian(request), [0x83, 0x02]);
        await using var client = ModbusClient.CreateTcp("127.0.0.1", _slave.Port, Options(retries: 3));
        var ex = await Assert.ThrowsAsync<ModbusExceptionResponseException>(() => client.ReadHoldingRegistersAsync(1, 0, 1));
        Assert.Equal((ModbusFunction.ReadHoldingRegisters, ModbusExceptionCode.IllegalDataAddress), (ex.Function, ex.ExceptionCode));
        Assert.Contains("IllegalDataAddress", ex.Message, StringComparison.Ordinal);
        Assert.Equal(1, _slave.Requests);
    }

    [Fact]
    public async Task ReadHoldingRegisters_WhenByteCountIsWrong_ThrowsProtocolError()
    {
        _slave.Respond = (request, _) => Response(BinaryPrimitives.ReadUInt16BigEndian(request), [0x03, 0x04, 0x00, 0x01, 0x00, 0x02]);
        await using var client = ModbusClient.CreateTcp("127.0.0.1", _slave.Port, Options());
        await Assert.ThrowsAsync<ModbusProtocolException>(() => client.ReadHoldingRegistersAsync(1, 0, 1));
    }

    [Fact]
    public async Task ReadHoldingRegisters_WhenSlaveDropsTheConnection_ReconnectsOnRetry()
    {
        int requests = 0;
        _slave.Respond = (request, _) => Interlocked.Increment(ref requests) == 1
            ? null
            : Response(BinaryPrimitives.ReadUInt16BigEndian(request), [0x03, 0x02, 0x00, 0x09]);
        await using var client = ModbusClient.CreateTcp("127.0.0.1", _slave.Port, Options(retries: 1));
        Assert.Equal(new ushort[] { 9 }, await client.ReadHoldingRegistersAsync(1, 0, 1));
    }

    [Fact]
    public async Task ReadHoldingRegisters_CallerCancels_ThrowsOperationCanceledNotTimeout()
    {
        _slave.Respond = (_, _) => [];
        await using var client = ModbusClient.CreateTcp("127.0.0.1", _slave.Port, new ModbusClientOptions { Timeout = TimeSpan.FromSeconds(30), Retries = 0 });
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.ReadHoldingRegistersAsync(1, 0, 1, cts.Token));
    }

    [Fact]
    public async Task ReadHoldingRegisters_300Registers_SendsThreeRequestsOf125125And50()
    {
        var counts = new List<int>();
        _slave.Respond = (request, _) =>
        {
            int count = BinaryPrimitives.ReadUInt16BigEndian(request.AsSpan(10));
            lock (counts)
            {
                counts.Add(count);
            }

            var pdu = new byte[2 + (2 * count)];
            (pdu[0], pdu[1]) = (0x03, (byte)(2 * count));
            return Response(BinaryPrimitives.ReadUInt16BigEndian(request), pdu);
        };
        await using var client = ModbusClient.CreateTcp("127.0.0.1", _slave.Port, Options());
        await client.ReadHoldingRegistersAsync(1, 0, 300);
        Assert.Equal([125, 125, 50], counts);
    }

    [Fact]
    public async Task RtuOverTcp_WhenResponseCrcIsWrong_ThrowsProtocolErrorNamingTheCrc()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        Task server = Task.Run(async () =>
        {
            using TcpClient connection = await listener.AcceptTcpClientAsync();
            NetworkStream stream = connection.GetStream();
            var request = new byte[8];
            await stream.ReadExactlyAsync(request);
            var frame = new byte[ModbusLimits.MaxRtuAdu];
            int length = ModbusRtuFrame.WriteRequest(frame, 1, [0x03, 0x02, 0x00, 0x05]);
            frame[length - 1] ^= 0xFF;
            await stream.WriteAsync(frame.AsMemory(0, length));
            _ = await stream.ReadAsync(new byte[1]); // until the client closes
        });
        await using (var client = ModbusClient.CreateRtuOverTcp("127.0.0.1", ((IPEndPoint)listener.LocalEndpoint).Port, Options()))
        {
            var ex = await Assert.ThrowsAsync<ModbusProtocolException>(() => client.ReadHoldingRegistersAsync(1, 0, 1));
            Assert.Contains("CRC", ex.Message, StringComparison.Ordinal);
        }

        await server;
    }

    [Fact]
    public async Task DisposeAsync_Twice_IsSafe()
    {
        var client = ModbusClient.CreateTcp("127.0.0.1", _slave.Port, Options());
        await client.DisposeAsync();
        await client.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => client.ReadHoldingRegistersAsync(1, 0, 1));
    }

    [Fact]
    public void Options_Invalid_AreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ModbusClient.CreateTcp("h", 502, new ModbusClientOptions { MaxInFlight = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => ModbusClient.CreateTcp("h", 502, new ModbusClientOptions { Timeout = TimeSpan.Zero }));
    }

    [Theory]
    [InlineData(9600, 8, System.IO.Ports.Parity.Even, 1, 4.010)] // 11 bits per character: 3.5 * 11 / 9600 s
    [InlineData(19200, 8, System.IO.Ports.Parity.None, 1, 1.823)] // 10 bits per character
    [InlineData(38400, 8, System.IO.Ports.Parity.Even, 1, 1.750)] // fixed above 19200 baud (Serial Line v1.02 §2.5.1.1)
    [InlineData(115200, 8, System.IO.Ports.Parity.None, 2, 1.750)]
    public void InterFrameDelay_FollowsTheSerialLineSpec(int baud, int dataBits, System.IO.Ports.Parity parity, int stopBits, double expectedMs)
    {
        var settings = new SerialSettings("/dev/null") { BaudRate = baud, DataBits = dataBits, Parity = parity, StopBits = stopBits == 2 ? System.IO.Ports.StopBits.Two : System.IO.Ports.StopBits.One };
        Assert.Equal(expectedMs, settings.InterFrameDelay.TotalMilliseconds, 2);
    }

    public async ValueTask DisposeAsync() => await _slave.DisposeAsync();

    /// <summary>
    /// A generous timeout by default: the whole suite runs its test projects in parallel on 2 cores, and a first request
    /// on a cold connection can take longer than a tight timeout there. Tests about timeouts pass a short one.
    /// </summary>
    private static ModbusClientOptions Options(int retries = 0, int timeoutMs = 5000) => new() { Timeout = TimeSpan.FromMilliseconds(timeoutMs), Retries = retries, RetryDelay = TimeSpan.FromMilliseconds(10) };

    private static byte[] Response(ushort transactionId, byte[] pdu)
    {
        var frame = new byte[ModbusTcpFrame.HeaderLength + pdu.Length];
        ModbusTcpFrame.WriteRequest(frame, transactionId, 1, pdu);
        return frame;
    }

    /// <summary>A loopback Modbus TCP slave whose answer to each request comes from <see cref="Respond"/> (null closes the connection).</summary>
    private sealed class ScriptedSlave : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _cts = new();
        private readonly Task _accept;
        private int _connections;
        private int _requests;

        public ScriptedSlave()
        {
            _listener.Start();
            _accept = AcceptAsync();
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public int Connections => Volatile.Read(ref _connections);

        public int Requests => Volatile.Read(ref _requests);

        public Func<byte[], int, byte[]?> Respond { get; set; } = (_, _) => [];

        public async ValueTask DisposeAsync()
        {
            await _cts.CancelAsync();
            _listener.Stop();
            try
            {
                await _accept;
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
            }

            _cts.Dispose();
        }

        private async Task AcceptAsync()
        {
            while (!_cts.IsCancellationRequested)
            {
                TcpClient client = await _listener.AcceptTcpClientAsync(_cts.Token);
                int connection = Interlocked.Increment(ref _connections);
                _ = ServeAsync(client, connection);
            }
        }

        private async Task ServeAsync(TcpClient client, int connection)
        {
            using (client)
            {
                try
                {
                    NetworkStream stream = client.GetStream();
                    var header = new byte[ModbusTcpFrame.HeaderLength];
                    while (true)
                    {
                        await stream.ReadExactlyAsync(header, _cts.Token);
                        var request = new byte[ModbusTcpFrame.HeaderLength - 1 + BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(4))];
                        header.CopyTo(request, 0);
                        await stream.ReadExactlyAsync(request.AsMemory(ModbusTcpFrame.HeaderLength), _cts.Token);
                        Interlocked.Increment(ref _requests);
                        byte[]? response = Respond(request, connection);
                        if (response is null)
                        {
                            return;
                        }

                        await stream.WriteAsync(response, _cts.Token);
                    }
                }
                catch (Exception ex) when (ex is OperationCanceledException or IOException or EndOfStreamException or SocketException)
                {
                }
            }
        }
    }
}
