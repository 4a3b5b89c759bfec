using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using SensorIngest.Modbus;

namespace SensorIngest.Tests.Modbus;

/// <summary>Random, truncated and garbage frames: the decoders give a clean status, never throw, never allocate; the client gives a clean error, never hangs.</summary>
[Trait("Category", "Unit")]
public class ModbusFrameFuzzTests
{
    private const int Iterations = 20000;

    [Fact]
    public void TcpDecoder_RandomAndTruncatedInput_ReturnsStatusWithoutThrowingOrAllocating()
    {
        var random = new Random(4711);
        var buffer = new byte[ModbusLimits.MaxTcpAdu + 40];
        int complete = 0, invalid = 0, needMore = 0;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < Iterations; i++)
        {
            int length = random.Next(buffer.Length + 1);
            random.NextBytes(buffer.AsSpan(0, length));
            if (i % 2 == 0 && length >= 7)
            {
                // Half the cases get a plausible header so the decoder reaches the length checks.
                BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(2), 0);
                BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(4), (ushort)random.Next(0, 300));
            }

            FrameStatus status = ModbusTcpFrame.TryDecode(buffer.AsSpan(0, length), out _, out _, out int frameLength, out _);
            switch (status)
            {
                case FrameStatus.Complete:
                    complete++;
                    Assert.InRange(frameLength, 8, ModbusLimits.MaxTcpAdu);
                    Assert.True(frameLength <= length);
                    break;
                case FrameStatus.NeedMore:
                    needMore++;
                    Assert.InRange(frameLength, 7, ModbusLimits.MaxTcpAdu);
                    break;
                default:
                    invalid++;
                    break;
            }
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(complete > 0 && invalid > 0 && needMore > 0, $"complete {complete}, invalid {invalid}, need more {needMore}");
        // Error texts are literals or formatted only for invalid lengths; nothing scales with the input.
        Assert.True(allocated < invalid * 200L, $"allocated {allocated} bytes");
    }

    [Fact]
    public void RtuDecoder_RandomAndTruncatedInput_ReturnsStatusAndNeverAsksBeyondTheAduLimit()
    {
        var random = new Random(1234);
        var buffer = new byte[ModbusLimits.MaxRtuAdu];
        int complete = 0, invalid = 0;
        for (int i = 0; i < Iterations; i++)
        {
            int length = random.Next(buffer.Length + 1);
            random.NextBytes(buffer.AsSpan(0, length));
            if (i % 3 == 0 && length >= 4)
            {
                // A valid frame, then possibly cut short or corrupted.
                buffer[1] = (byte)random.Next(1, 5);
                buffer[2] = (byte)Math.Min(length - 5, 250);
                int frame = 3 + buffer[2];
                if (frame + 2 <= length)
                {
                    BinaryPrimitives.WriteUInt16LittleEndian(buffer.AsSpan(frame), ModbusCrc.Compute(buffer.AsSpan(0, frame)));
                }

                if (i % 6 == 0 && length > 0)
                {
                    buffer[random.Next(length)] ^= (byte)(1 << random.Next(8));
                }
            }

            FrameStatus status = ModbusRtuFrame.TryDecodeResponse(buffer.AsSpan(0, length), out _, out int frameLength, out string? error);
            Assert.InRange(frameLength, 2, ModbusLimits.MaxRtuAdu);
            if (status == FrameStatus.Complete)
            {
                complete++;
                Assert.Equal(ModbusCrc.Compute(buffer.AsSpan(0, frameLength - 2)), BinaryPrimitives.ReadUInt16LittleEndian(buffer.AsSpan(frameLength - 2)));
            }
            else if (status == FrameStatus.Invalid)
            {
                invalid++;
                Assert.False(string.IsNullOrEmpty(error));
            }
        }

        Assert.True(complete > 0 && invalid > 0, $"complete {complete}, invalid {invalid}");
    }

    [Fact]
    public void RtuDecoder_EveryTruncationOfAValidFrame_NeedsMore()
    {
        var frame = new byte[ModbusLimits.MaxRtuAdu];
        int length = ModbusRtuFrame.WriteRequest(frame, 7, Convert.FromHexString("0306000100020003"));
        for (int cut = 0; cut < length; cut++)
        {
            Assert.Equal(FrameStatus.NeedMore, ModbusRtuFrame.TryDecodeResponse(frame.AsSpan(0, cut), out _, out _, out _));
        }

        Assert.Equal(FrameStatus.Complete, ModbusRtuFrame.TryDecodeResponse(frame.AsSpan(0, length), out byte unit, out int frameLength, out _));
        Assert.Equal((7, length), (unit, frameLength));
    }

    [Fact]
    public void RtuDecoder_FlippedBit_ReportsCrcError()
    {
        var frame = new byte[ModbusLimits.MaxRtuAdu];
        int length = ModbusRtuFrame.WriteRequest(frame, 1, Convert.FromHexString("03020102"));
        frame[3] ^= 0x10;
        Assert.Equal(FrameStatus.Invalid, ModbusRtuFrame.TryDecodeResponse(frame.AsSpan(0, length), out _, out _, out string? error));
        Assert.Contains("CRC", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Client_SlaveAnsweringGarbage_FailsCleanlyWithinTheTimeout(bool rtu)
    {
        var random = new Random(rtu ? 99 : 98);
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        Task server = Task.Run(async () =>
        {
            try
            {
                while (!cts.IsCancellationRequested)
                {
                    using TcpClient connection = await listener.AcceptTcpClientAsync(cts.Token);
                    NetworkStream stream = connection.GetStream();
                    var request = new byte[300];
                    while (await stream.ReadAsync(request, cts.Token) > 0)
                    {
                        var garbage = new byte[random.Next(1, 600)];
                        random.NextBytes(garbage);
                        await stream.WriteAsync(garbage, cts.Token);
                    }
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException)
            {
            }
        });

        var options = new ModbusClientOptions { Timeout = TimeSpan.FromMilliseconds(100), Retries = 0 };
        await using var client = rtu ? ModbusClient.CreateRtuOverTcp("127.0.0.1", port, options) : ModbusClient.CreateTcp("127.0.0.1", port, options);
        int failures = 0;
        for (int i = 0; i < 60; i++)
        {
            try
            {
                await client.ReadHoldingRegistersAsync(1, 0, 10);
            }
            catch (ModbusException)
            {
                failures++;
            }
        }

        // A random reply can by chance be a valid frame for our transaction; everything else must be a clean ModbusException.
        Assert.True(failures >= 55, $"{failures} failures");
        await cts.CancelAsync();
        await server;
    }
}
