using SimulatedPlant.Modbus;

namespace SimulatedPlant.Tests.Modbus;

[Trait("Category", "Unit")]
public sealed class ModbusPduProcessorTests
{
    private readonly FakeDataModel _model = new();

    private byte[] Process(params byte[] request)
    {
        var response = new byte[ModbusLimits.MaxPduLength];
        int length = ModbusPduProcessor.Process(request, response, _model);
        return response[..length];
    }

    [Fact]
    public void ReadCoils_PacksBitsLsbFirst()
    {
        _model.Coils[1] = true;
        _model.Coils[8] = true;
        _model.Coils[9] = true;

        Assert.Equal(new byte[] { 0x01, 0x02, 0b0000_0010, 0b0000_0011 }, Process(0x01, 0x00, 0x00, 0x00, 0x0A));
    }

    [Fact]
    public void ReadDiscreteInputs_ReturnsBits()
    {
        _model.DiscreteInputs[5] = true;

        Assert.Equal(new byte[] { 0x02, 0x01, 0b0000_0001 }, Process(0x02, 0x00, 0x05, 0x00, 0x03));
    }

    [Fact]
    public void ReadHoldingRegisters_ReturnsBigEndianRegisters()
    {
        _model.Holding[10] = 0x1234;
        _model.Holding[11] = 0xABCD;

        Assert.Equal(new byte[] { 0x03, 0x04, 0x12, 0x34, 0xAB, 0xCD }, Process(0x03, 0x00, 0x0A, 0x00, 0x02));
    }

    [Fact]
    public void ReadInputRegisters_ReturnsRegisters()
    {
        _model.Input[0] = 7;

        Assert.Equal(new byte[] { 0x04, 0x02, 0x00, 0x07 }, Process(0x04, 0x00, 0x00, 0x00, 0x01));
    }

    [Fact]
    public void ReadHoldingRegisters_With125_Succeeds_With126_ReturnsException03()
    {
        Assert.Equal(2 + 250, Process(0x03, 0x00, 0x00, 0x00, 125).Length);
        Assert.Equal(new byte[] { 0x83, 0x03 }, Process(0x03, 0x00, 0x00, 0x00, 126));
        Assert.Equal(new byte[] { 0x84, 0x03 }, Process(0x04, 0x00, 0x00, 0x00, 0));
    }

    [Fact]
    public void ReadCoils_With2001_ReturnsException03()
    {
        Assert.Equal(new byte[] { 0x81, 0x03 }, Process(0x01, 0x00, 0x00, 0x07, 0xD1));
    }

    [Fact]
    public void Read_PastAddress65535_ReturnsException02()
    {
        Assert.Equal(new byte[] { 0x83, 0x02 }, Process(0x03, 0xFF, 0xFF, 0x00, 0x02));
    }

    [Fact]
    public void Read_OutsideModelTable_ReturnsModelsException02()
    {
        Assert.Equal(new byte[] { 0x84, 0x02 }, Process(0x04, 0x03, 0xE7, 0x00, 0x02));
    }

    [Fact]
    public void WriteSingleCoil_EchoesRequest_AndRejectsOtherValuesWith03()
    {
        Assert.Equal(new byte[] { 0x05, 0x00, 0x03, 0xFF, 0x00 }, Process(0x05, 0x00, 0x03, 0xFF, 0x00));
        Assert.True(_model.Coils[3]);
        Assert.Equal(new byte[] { 0x85, 0x03 }, Process(0x05, 0x00, 0x03, 0x12, 0x34));
    }

    [Fact]
    public void WriteSingleRegister_EchoesRequest()
    {
        Assert.Equal(new byte[] { 0x06, 0x00, 0x10, 0xBE, 0xEF }, Process(0x06, 0x00, 0x10, 0xBE, 0xEF));
        Assert.Equal(0xBEEF, _model.Holding[16]);
    }

    [Fact]
    public void WriteMultipleCoils_UnpacksBits_AndAnswersStartAndQuantity()
    {
        Assert.Equal(new byte[] { 0x0F, 0x00, 0x14, 0x00, 0x0A }, Process(0x0F, 0x00, 0x14, 0x00, 0x0A, 0x02, 0xCD, 0x01));
        bool[] expected = [true, false, true, true, false, false, true, true, true, false];
        Assert.Equal(expected, _model.Coils[20..30]);
    }

    [Fact]
    public void WriteMultipleCoils_WithWrongByteCount_ReturnsException03()
    {
        Assert.Equal(new byte[] { 0x8F, 0x03 }, Process(0x0F, 0x00, 0x14, 0x00, 0x0A, 0x01, 0xCD));
    }

    [Fact]
    public void WriteMultipleRegisters_WritesValues_AndAnswersStartAndQuantity()
    {
        Assert.Equal(new byte[] { 0x10, 0x00, 0x01, 0x00, 0x02 }, Process(0x10, 0x00, 0x01, 0x00, 0x02, 0x04, 0x00, 0x0A, 0x01, 0x02));
        Assert.Equal(new ushort[] { 0x000A, 0x0102 }, _model.Holding[1..3]);
    }

    [Fact]
    public void WriteMultipleRegisters_With124_ReturnsException03()
    {
        var request = new byte[6 + 248];
        request[0] = 0x10;
        request[4] = 124;
        request[5] = 248;

        Assert.Equal(new byte[] { 0x90, 0x03 }, Process(request));
    }

    [Fact]
    public void UnknownFunction_ReturnsException01()
    {
        Assert.Equal(new byte[] { 0x87, 0x01 }, Process(0x07));
        Assert.Equal(new byte[] { 0xAB, 0x01 }, Process(0x2B, 0x0E, 0x01, 0x00));
    }

    [Fact]
    public void ModelFailure_ReturnsException04()
    {
        _model.Failure = ModbusExceptionCode.ServerDeviceFailure;

        Assert.Equal(new byte[] { 0x83, 0x04 }, Process(0x03, 0x00, 0x00, 0x00, 0x01));
        Assert.Equal(new byte[] { 0x86, 0x04 }, Process(0x06, 0x00, 0x00, 0x00, 0x01));
    }

    [Theory]
    [InlineData(0x01)]
    [InlineData(0x03)]
    [InlineData(0x05)]
    [InlineData(0x06)]
    [InlineData(0x0F)]
    [InlineData(0x10)]
    public void TruncatedRequest_ReturnsException03(byte function)
    {
        Assert.Equal(new byte[] { (byte)(function | 0x80), 0x03 }, Process(function, 0x00, 0x00));
    }

    [Fact]
    public void EmptyPdu_ReturnsNothing()
    {
        Assert.Empty(Process());
    }

    [Fact]
    public void RandomPdus_NeverThrow_AndAnswerEchoOrException()
    {
        var random = new Random(12345);
        var response = new byte[ModbusLimits.MaxPduLength];
        byte[] functions = [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x0F, 0x10, 0x07, 0x00, 0x80, 0xFF];
        for (int i = 0; i < 50_000; i++)
        {
            var request = new byte[random.Next(1, 260)];
            random.NextBytes(request);
            if (random.Next(2) == 0)
            {
                request[0] = functions[random.Next(functions.Length)];
            }

            int length = ModbusPduProcessor.Process(request, response, _model);

            Assert.InRange(length, 2, ModbusLimits.MaxPduLength);
            if (response[0] == (request[0] | 0x80) && length == 2)
            {
                Assert.InRange(response[1], 1, 4);
            }
            else
            {
                Assert.Equal(request[0], response[0]);
            }
        }
    }
}
