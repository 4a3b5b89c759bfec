using SensorIngest.Modbus;

namespace SensorIngest.Tests.Modbus;

[Trait("Category", "Unit")]
public class PointCodecTests
{
    // Known byte patterns: 123.456f = 0x42F6E979, -2 (int32) = 0xFFFFFFFE, 0x0102030405060708 (int64), 1.0 (double) = 0x3FF0000000000000.
    public static TheoryData<string, string, string, object> Cases => new()
    {
        { "float32", "ABCD", "42F6 E979", 123.456f },
        { "float32", "BADC", "F642 79E9", 123.456f },
        { "float32", "CDAB", "E979 42F6", 123.456f },
        { "float32", "DCBA", "79E9 F642", 123.456f },
        { "int32", "ABCD", "FFFF FFFE", -2 },
        { "int32", "CDAB", "FFFE FFFF", -2 },
        { "uint32", "ABCD", "0001 0002", 65538u },
        { "uint32", "BADC", "0100 0200", 65538u },
        { "uint32", "CDAB", "0002 0001", 65538u },
        { "uint32", "DCBA", "0200 0100", 65538u },
        { "int16", "ABCD", "FF85", (short)-123 },
        { "int16", "BADC", "85FF", (short)-123 },
        { "int16", "CDAB", "FF85", (short)-123 },
        { "int16", "DCBA", "85FF", (short)-123 },
        { "uint16", "ABCD", "ABCD", (ushort)0xABCD },
        { "int64", "ABCD", "0102 0304 0506 0708", 0x0102030405060708L },
        { "int64", "BADC", "0201 0403 0605 0807", 0x0102030405060708L },
        { "int64", "CDAB", "0708 0506 0304 0102", 0x0102030405060708L },
        { "int64", "DCBA", "0807 0605 0403 0201", 0x0102030405060708L },
        { "uint64", "ABCD", "FFFF FFFF FFFF FFFF", ulong.MaxValue },
        { "float64", "ABCD", "3FF0 0000 0000 0000", 1.0 },
        { "float64", "CDAB", "0000 0000 0000 3FF0", 1.0 },
        { "float64", "DCBA", "0000 0000 0000 F03F", 1.0 },
        { "float64", "BADC", "F03F 0000 0000 0000", 1.0 },
        { "bool", "ABCD", "0001", true },
        { "bool", "ABCD", "0000", false },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Decode_KnownRegisters_GivesTypedValue(string type, string order, string registers, object expected)
    {
        var format = new PointFormat(PointCodec.ParseType(type), PointCodec.ParseOrder(order));
        Assert.Equal(expected, PointCodec.Decode(Registers(registers), format));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Encode_TypedValue_GivesKnownRegisters(string type, string order, string registers, object value)
    {
        var format = new PointFormat(PointCodec.ParseType(type), PointCodec.ParseOrder(order));
        var destination = new ushort[format.RegisterCount];
        PointCodec.Encode(Convert.ToString(value is bool b ? (b ? 1 : 0) : value, System.Globalization.CultureInfo.InvariantCulture)!, format, destination);
        Assert.Equal(Registers(registers), destination);
    }

    [Theory]
    [InlineData("ABCD", "4142 4344 4500", "ABCDE")]
    [InlineData("BADC", "4241 4443 0045", "ABCDE")]
    [InlineData("ABCD", "4F4B 2020 0000", "OK")]
    public void String_RoundTrips_WithByteOrder(string order, string registers, string text)
    {
        var format = new PointFormat(PointType.String, PointCodec.ParseOrder(order), StringRegisters: 3);
        Assert.Equal(text, PointCodec.Decode(Registers(registers), format));
        if (!text.Equals("OK", StringComparison.Ordinal))
        {
            var destination = new ushort[3];
            PointCodec.Encode(text, format, destination);
            Assert.Equal(Registers(registers), destination);
        }
    }

    [Fact]
    public void Decode_WithScaleAndOffset_GivesEngineeringValue()
    {
        var format = new PointFormat(PointType.Int16, Scale: 0.1, Offset: -40);
        Assert.Equal(-52.3, (double)PointCodec.Decode(Registers("FF85"), format), 9);
        Assert.Equal(-52.3, PointCodec.DecodeDouble(Registers("FF85"), format), 9);
    }

    [Fact]
    public void Encode_WithScaleAndOffset_UndoesThemAndRounds()
    {
        var format = new PointFormat(PointType.UInt16, Scale: 0.1, Offset: 10);
        var destination = new ushort[1];
        PointCodec.Encode(22.34, format, destination);
        Assert.Equal((ushort)123, destination[0]);
    }

    [Fact]
    public void Encode_ValueOutOfRange_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => PointCodec.Encode(70000, new PointFormat(PointType.UInt16), new ushort[1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => PointCodec.Encode(-1, new PointFormat(PointType.UInt32), new ushort[2]));
    }

    [Fact]
    public void DecodeDouble_OnHotPath_DoesNotAllocate()
    {
        var format = new PointFormat(PointType.Float32, PointOrder.CDAB, 2, 1);
        ushort[] registers = Registers("E979 42F6");
        PointCodec.DecodeDouble(registers, format);
        long before = GC.GetAllocatedBytesForCurrentThread();
        double sum = 0;
        for (int i = 0; i < 1000; i++)
        {
            sum += PointCodec.DecodeDouble(registers, format);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(1000 * ((123.456f * 2.0) + 1), sum, 6);
    }

    internal static ushort[] Registers(string hex) => hex.Split(' ').Select(word => Convert.ToUInt16(word, 16)).ToArray();
}
