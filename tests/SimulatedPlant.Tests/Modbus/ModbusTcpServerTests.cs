using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using SimulatedPlant.Modbus;

namespace SimulatedPlant.Tests.Modbus;

[Trait("Category", "Integration")]
public sealed class ModbusTcpServerTests : IAsyncLifetime, IAsyncDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);
    private readonly FakeDataModel _model = new();
    private ModbusTcpServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = new ModbusTcpServer(_model, new ModbusTcpServerOptions { Port = 0, MaxConnections = 16 });
        await _server.StartAsync(CancellationToken.None);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    ValueTask IAsyncDisposable.DisposeAsync() => _server.DisposeAsync();

    private async Task<TcpClient> ConnectAsync()
    {
        var client = new TcpClient { NoDelay = true };
        await client.ConnectAsync(IPAddress.Loopback, _server.Port);
        return client;
    }

    private static byte[] Adu(ushort transaction, byte unit, params byte[] pdu)
    {
        var adu = new byte[7 + pdu.Length];
        BinaryPrimitives.WriteUInt16BigEndian(adu, transaction);
        BinaryPrimitives.WriteUInt16BigEndian(adu.AsSpan(4), (ushort)(pdu.Length + 1));
        adu[6] = unit;
        pdu.CopyTo(adu, 7);
        return adu;
    }

    private static async Task<byte[]?> ReadAduAsync(NetworkStream stream)
    {
        var header = new byte[7];
        if (!await ReadExactlyOrEofAsync(stream, header))
        {
            return null;
        }

        int length = BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(4));
        var adu = new byte[6 + length];
        header.CopyTo(adu, 0);
        return await ReadExactlyOrEofAsync(stream, adu.AsMemory(7)) ? adu : null;
    }

    private static async Task<bool> ReadExactlyOrEofAsync(NetworkStream stream, Memory<byte> buffer)
    {
        using var cts = new CancellationTokenSource(Timeout);
        try
        {
            await stream.ReadExactlyAsync(buffer, cts.Token);
            return true;
        }
        catch (EndOfStreamException)
        {
            return false;
        }
        catch (IOException)
        {
            return false;
        }
    }

    [Fact]
    public async Task ReadHoldingRegisters_EchoesTransactionAndUnit()
    {
        _model.Holding[0] = 0x0102;
        using TcpClient client = await ConnectAsync();
        NetworkStream stream = client.GetStream();
        await stream.WriteAsync(Adu(0xBEEF, 0x11, 0x03, 0x00, 0x00, 0x00, 0x01));

        byte[]? response = await ReadAduAsync(stream);

        Assert.Equal(new byte[] { 0xBE, 0xEF, 0x00, 0x00, 0x00, 0x05, 0x11, 0x03, 0x02, 0x01, 0x02 }, response);
    }

    [Fact]
    public async Task PipelinedRequests_AreAnsweredInOrder()
    {
        using TcpClient client = await ConnectAsync();
        NetworkStream stream = client.GetStream();
        var batch = new List<byte>();
        for (ushort t = 0; t < 200; t++)
        {
            _model.Holding[t] = (ushort)(t * 3);
            batch.AddRange(Adu(t, 1, 0x03, (byte)(t >> 8), (byte)t, 0x00, 0x01));
        }

        await stream.WriteAsync(batch.ToArray());

        for (ushort t = 0; t < 200; t++)
        {
            byte[]? response = await ReadAduAsync(stream);
            Assert.NotNull(response);
            Assert.Equal(t, BinaryPrimitives.ReadUInt16BigEndian(response));
            Assert.Equal((ushort)(t * 3), BinaryPrimitives.ReadUInt16BigEndian(response.AsSpan(9)));
        }
    }

    [Fact]
    public async Task FrameSplitAcrossWrites_IsReassembled()
    {
        using TcpClient client = await ConnectAsync();
        NetworkStream stream = client.GetStream();
        byte[] adu = Adu(7, 1, 0x04, 0x00, 0x00, 0x00, 0x02);
        foreach (byte b in adu)
        {
            await stream.WriteAsync(new[] { b });
            await stream.FlushAsync();
            await Task.Delay(2);
        }

        byte[]? response = await ReadAduAsync(stream);

        Assert.NotNull(response);
        Assert.Equal(0x04, response[7]);
        Assert.Equal(4, response[8]);
    }

    [Fact]
    public async Task ConcurrentClients_AreServedIndependently()
    {
        for (int i = 0; i < 100; i++)
        {
            _model.Input[i] = (ushort)(1000 + i);
        }

        async Task ClientAsync(int id)
        {
            using TcpClient client = await ConnectAsync();
            NetworkStream stream = client.GetStream();
            for (int i = 0; i < 100; i++)
            {
                await stream.WriteAsync(Adu((ushort)i, (byte)id, 0x04, 0x00, (byte)i, 0x00, 0x01));
                byte[]? response = await ReadAduAsync(stream);
                Assert.NotNull(response);
                Assert.Equal((byte)id, response[6]);
                Assert.Equal((ushort)(1000 + i), BinaryPrimitives.ReadUInt16BigEndian(response.AsSpan(9)));
            }
        }

        await Task.WhenAll(Enumerable.Range(1, 8).Select(ClientAsync));
    }

    [Fact]
    public async Task MaximumAdu_Of260Bytes_IsAccepted()
    {
        var pdu = new byte[6 + 246];
        pdu[0] = 0x10;
        pdu[4] = 123;
        pdu[5] = 246;
        pdu[7] = 0x42;
        byte[] adu = Adu(1, 1, pdu);
        Assert.Equal(259, adu.Length);
        using TcpClient client = await ConnectAsync();
        NetworkStream stream = client.GetStream();
        await stream.WriteAsync(adu);

        byte[]? response = await ReadAduAsync(stream);

        Assert.Equal(new byte[] { 0x10, 0x00, 0x00, 0x00, 123 }, response![7..]);
        Assert.Equal(0x42, _model.Holding[0]);
    }

    [Theory]
    [InlineData(0x00, 0x01, 0x00, 0x06)] // protocol id 1
    [InlineData(0x00, 0x00, 0x01, 0x00)] // length 256: ADU above 260 bytes
    [InlineData(0x00, 0x00, 0x00, 0x01)] // length 1: no PDU
    public async Task InvalidMbapHeader_ClosesConnection(byte protocolHigh, byte protocolLow, byte lengthHigh, byte lengthLow)
    {
        using TcpClient client = await ConnectAsync();
        NetworkStream stream = client.GetStream();
        await stream.WriteAsync(new byte[] { 0x00, 0x01, protocolHigh, protocolLow, lengthHigh, lengthLow, 0x01, 0x03, 0x00, 0x00, 0x00, 0x01 });

        Assert.Null(await ReadAduAsync(stream));
    }

    [Fact]
    public async Task ConnectionsBeyondLimit_AreClosed()
    {
        var clients = new List<TcpClient>();
        try
        {
            for (int i = 0; i < 16; i++)
            {
                TcpClient c = await ConnectAsync();
                await c.GetStream().WriteAsync(Adu(1, 1, 0x03, 0x00, 0x00, 0x00, 0x01));
                Assert.NotNull(await ReadAduAsync(c.GetStream()));
                clients.Add(c);
            }

            using TcpClient extra = await ConnectAsync();
            await extra.GetStream().WriteAsync(Adu(1, 1, 0x03, 0x00, 0x00, 0x00, 0x01));
            Assert.Null(await ReadAduAsync(extra.GetStream()));
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }

    [Fact]
    public async Task RandomAndTruncatedFrames_GetExceptionOrClose_AndServerKeepsServing()
    {
        var random = new Random(4242);
        for (int i = 0; i < 200; i++)
        {
            using TcpClient client = await ConnectAsync();
            NetworkStream stream = client.GetStream();
            byte[] frame;
            int kind = random.Next(3);
            if (kind == 0)
            {
                // Pure garbage.
                frame = new byte[random.Next(1, 300)];
                random.NextBytes(frame);
            }
            else
            {
                // Valid header, random PDU, sometimes truncated.
                var pdu = new byte[random.Next(1, 254)];
                random.NextBytes(pdu);
                frame = Adu((ushort)i, 1, pdu);
                if (kind == 2)
                {
                    frame = frame[..random.Next(1, frame.Length)];
                }
            }

            await stream.WriteAsync(frame);

            // A truncated frame leaves the server waiting for the rest; the client gives up and half-closes.
            // Whatever came complete before the end is answered, then the server closes: no crash, no hang.
            client.Client.Shutdown(SocketShutdown.Send);

            byte[]? response = await ReadAduAsync(stream);
            if (response is not null && kind == 1)
            {
                Assert.Equal((ushort)i, BinaryPrimitives.ReadUInt16BigEndian(response));
                byte function = response[7];
                Assert.True(function == frame[7] || (function == (frame[7] | 0x80) && response[8] is >= 1 and <= 4));
            }
        }

        using TcpClient healthy = await ConnectAsync();
        await healthy.GetStream().WriteAsync(Adu(9, 1, 0x03, 0x00, 0x00, 0x00, 0x01));
        Assert.NotNull(await ReadAduAsync(healthy.GetStream()));
    }

    [Fact]
    public async Task ThrowingDataModel_ClosesThatConnection_AndServerKeepsServing()
    {
        _model.Throw = true;
        using (TcpClient broken = await ConnectAsync())
        {
            await broken.GetStream().WriteAsync(Adu(1, 1, 0x03, 0x00, 0x00, 0x00, 0x01));
            Assert.Null(await ReadAduAsync(broken.GetStream()));
        }

        _model.Throw = false;
        using TcpClient healthy = await ConnectAsync();
        await healthy.GetStream().WriteAsync(Adu(2, 1, 0x03, 0x00, 0x00, 0x00, 0x01));
        Assert.NotNull(await ReadAduAsync(healthy.GetStream()));
    }

    [Fact]
    public async Task StopAsync_ClosesClients_AndIsSafeTwice()
    {
        using TcpClient client = await ConnectAsync();
        await _server.StopAsync(CancellationToken.None);
        await _server.StopAsync(CancellationToken.None);

        Assert.Null(await ReadAduAsync(client.GetStream()));
    }
}
