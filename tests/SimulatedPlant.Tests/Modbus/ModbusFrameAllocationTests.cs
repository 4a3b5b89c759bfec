using System.Buffers.Binary;
using SimulatedPlant.Modbus;
using SimulatedPlant.Process;
using TestSupport;

namespace SimulatedPlant.Tests.Modbus;

[Trait("Category", "Unit")]
public sealed class ModbusFrameAllocationTests
{
    private static byte[] Adu(params byte[] pdu)
    {
        var adu = new byte[7 + pdu.Length];
        BinaryPrimitives.WriteUInt16BigEndian(adu.AsSpan(4), (ushort)(pdu.Length + 1));
        adu[6] = 1;
        pdu.CopyTo(adu, 7);
        return adu;
    }

    [Fact]
    public void ProcessFrame_OnThePlantMap_AllocatesNothingPerRequest()
    {
        // Coil writes below rewrite the current state (all faults off); a real change allocates one new snapshot by design.
        var line = new PumpLine(null, new ManualTimeProvider(DateTimeOffset.UnixEpoch));
        var server = new ModbusTcpServer(new PlantModbusMap(line));
        byte[][] frames =
        [
            Adu(0x04, 0x00, 0x00, 0x00, 0x16),
            Adu(0x03, 0x00, 0x00, 0x00, 0x0B),
            Adu(0x01, 0x00, 0x00, 0x00, 0x05),
            Adu(0x02, 0x00, 0x00, 0x00, 0x05),
            Adu(0x06, 0x00, 0xC8, 0x12, 0x34),
            Adu(0x10, 0x00, 0xC8, 0x00, 0x02, 0x04, 0x00, 0x01, 0x00, 0x02),
            Adu(0x05, 0x00, 0x00, 0x00, 0x00),
            Adu(0x0F, 0x00, 0x00, 0x00, 0x05, 0x01, 0x00),
            Adu(0x2B, 0x0E),
        ];
        var output = new byte[ModbusLimits.MaxAduLength];
        foreach (byte[] frame in frames)
        {
            server.ProcessFrame(frame, output, out _, out _);
        }

        var allocated = new long[frames.Length];
        for (int f = 0; f < frames.Length; f++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 1000; i++)
            {
                server.ProcessFrame(frames[f], output, out _, out _);
            }

            allocated[f] = GC.GetAllocatedBytesForCurrentThread() - before;
        }

        Assert.True(allocated.All(a => a == 0), "bytes per 1000 requests, by frame: " + string.Join(", ", allocated));
        foreach (byte[] frame in frames)
        {
            Assert.Equal(ModbusTcpServer.FrameResult.Response, server.ProcessFrame(frame, output, out int consumed, out _));
            Assert.Equal(frame.Length, consumed);
        }
    }
}
