using SensorIngest.Modbus;

namespace SensorIngest.Tests.Modbus;

[Trait("Category", "Unit")]
public class ModbusCrcTests
{
    [Theory]
    // Read 10 holding registers from slave 1 at 0: the frame every Modbus tutorial shows, "01 03 00 00 00 0A C5 CD".
    [InlineData("01030000000A", 0xCDC5)]
    // Serial Line v1.02 appendix B check value of CRC-16/MODBUS: "123456789" -> 0x4B37.
    [InlineData("313233343536373839", 0x4B37)]
    [InlineData("", 0xFFFF)]
    public void Compute_KnownFrames_MatchesReferenceCrc(string hex, int expected)
    {
        Assert.Equal((ushort)expected, ModbusCrc.Compute(Convert.FromHexString(hex)));
    }

    [Fact]
    public void WriteRequest_AppendsCrcLowByteFirst()
    {
        var frame = new byte[ModbusLimits.MaxRtuAdu];
        int length = ModbusRtuFrame.WriteRequest(frame, 1, Convert.FromHexString("030000000A"));
        Assert.Equal("01030000000AC5CD", Convert.ToHexString(frame, 0, length));
    }
}
