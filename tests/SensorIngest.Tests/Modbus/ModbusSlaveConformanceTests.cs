using SensorIngest.Modbus;

namespace SensorIngest.Tests.Modbus;

/// <summary>
/// Every function code, exception responses and every type and order against a real slave loaded with known values.
/// Each peer (libmodbus TCP, pymodbus TCP, pymodbus RTU over TCP, pymodbus RTU on a socat pty pair) runs the same tests.
/// </summary>
[Trait("Category", "Integration")]
public abstract class ModbusSlaveConformanceTests
{
    protected const byte Unit = 1;

    protected abstract ModbusClient CreateClient(ModbusClientOptions? options = null);

    protected static ModbusClientOptions DefaultOptions() => new() { Timeout = TimeSpan.FromSeconds(2), Retries = 1 };

    [Fact]
    public async Task ReadHoldingRegisters_MoreThan125_SplitsAndReturnsThePattern()
    {
        await using ModbusClient client = CreateClient();
        var registers = new ushort[300];
        await client.ReadHoldingRegistersAsync(Unit, 0, registers.AsMemory());
        Assert.Equal(Enumerable.Range(0, 300).Select(i => (ushort)i), registers);
    }

    [Fact]
    public async Task ReadInputRegisters_ReturnsThePattern()
    {
        await using ModbusClient client = CreateClient();
        ushort[] registers = await client.ReadInputRegistersAsync(Unit, 10, 20);
        Assert.Equal(Enumerable.Range(10, 20).Select(i => (ushort)(0x8000 | i)), registers);
    }

    [Fact]
    public async Task ReadCoils_MoreThan2000_SplitsAndReturnsThePattern()
    {
        await using ModbusClient client = CreateClient();
        bool[] coils = await client.ReadCoilsAsync(Unit, 3, 2500);
        Assert.Equal(Enumerable.Range(3, 2500).Select(i => i % 3 == 0), coils);
    }

    [Fact]
    public async Task ReadDiscreteInputs_ReturnsThePattern()
    {
        await using ModbusClient client = CreateClient();
        bool[] inputs = await client.ReadDiscreteInputsAsync(Unit, 5, 37);
        Assert.Equal(Enumerable.Range(5, 37).Select(i => i % 2 == 1), inputs);
    }

    [Fact]
    public async Task WriteSingleCoil_ThenRead_ReturnsTheWrittenValue()
    {
        await using ModbusClient client = CreateClient();
        await client.WriteSingleCoilAsync(Unit, 5001, true);
        await client.WriteSingleCoilAsync(Unit, 5002, false);
        Assert.Equal(new[] { true, false }, await client.ReadCoilsAsync(Unit, 5001, 2));
    }

    [Fact]
    public async Task WriteSingleRegister_ThenRead_ReturnsTheWrittenValue()
    {
        await using ModbusClient client = CreateClient();
        await client.WriteSingleRegisterAsync(Unit, 5100, 0xBEEF);
        Assert.Equal(new ushort[] { 0xBEEF }, await client.ReadHoldingRegistersAsync(Unit, 5100, 1));
    }

    [Fact]
    public async Task WriteMultipleCoils_ThenRead_ReturnsTheWrittenValues()
    {
        await using ModbusClient client = CreateClient();
        bool[] values = Enumerable.Range(0, 37).Select(i => i % 5 == 1).ToArray();
        await client.WriteMultipleCoilsAsync(Unit, 6000, values);
        Assert.Equal(values, await client.ReadCoilsAsync(Unit, 6000, values.Length));
    }

    [Fact]
    public async Task WriteMultipleRegisters_MoreThan123_SplitsAndReadsBack()
    {
        await using ModbusClient client = CreateClient();
        ushort[] values = Enumerable.Range(0, 200).Select(i => (ushort)(60000 - i)).ToArray();
        await client.WriteMultipleRegistersAsync(Unit, 6000, values);
        Assert.Equal(values, await client.ReadHoldingRegistersAsync(Unit, 6000, values.Length));
    }

    [Fact]
    public async Task ReadWriteMultipleRegisters_WritesThenReadsInOneTransaction()
    {
        await using ModbusClient client = CreateClient();
        ushort[] read = await client.ReadWriteMultipleRegistersAsync(Unit, 7000, 4, 7002, [0x1111, 0x2222]);
        Assert.Equal([(ushort)7000, (ushort)7001, (ushort)0x1111, (ushort)0x2222], read);
    }

    [Fact]
    public async Task ReadHoldingRegisters_PastTheEndOfTheTable_ThrowsIllegalDataAddress()
    {
        await using ModbusClient client = CreateClient();
        var ex = await Assert.ThrowsAsync<ModbusExceptionResponseException>(() => client.ReadHoldingRegistersAsync(Unit, 9990, 20));
        Assert.Equal(ModbusExceptionCode.IllegalDataAddress, ex.ExceptionCode);
        Assert.Equal(ModbusFunction.ReadHoldingRegisters, ex.Function);

        // The connection stays usable after an exception response.
        Assert.Equal(new ushort[] { 42 }, await client.ReadHoldingRegistersAsync(Unit, 42, 1));
    }

    [Fact]
    public async Task WriteSingleRegister_PastTheEndOfTheTable_ThrowsIllegalDataAddress()
    {
        await using ModbusClient client = CreateClient();
        var ex = await Assert.ThrowsAsync<ModbusExceptionResponseException>(() => client.WriteSingleRegisterAsync(Unit, 10000, 1));
        Assert.Equal(ModbusExceptionCode.IllegalDataAddress, ex.ExceptionCode);
        Assert.Equal(ModbusFunction.WriteSingleRegister, ex.Function);
    }

    [Fact]
    public async Task TypedPoints_EveryTypeAndOrder_DecodeToTheLoadedValues()
    {
        await using ModbusClient client = CreateClient();
        int count = KnownPoints.All[^1].Address + 4 - KnownPoints.TypedBase;
        ushort[] holding = await client.ReadHoldingRegistersAsync(Unit, KnownPoints.TypedBase, count);
        ushort[] input = await client.ReadInputRegistersAsync(Unit, KnownPoints.TypedBase, count);
        foreach (KnownPoint point in KnownPoints.All)
        {
            var format = new PointFormat(PointCodec.ParseType(point.Type), PointCodec.ParseOrder(point.Order));
            int offset = point.Address - KnownPoints.TypedBase;
            Assert.Equal(point.Value, PointCodec.Decode(holding.AsSpan(offset, format.RegisterCount), format));
            Assert.Equal(point.Value, PointCodec.Decode(input.AsSpan(offset, format.RegisterCount), format));
        }
    }

    [Fact]
    public async Task TypedPoints_EncodedAndWritten_ReadBackAsTheSameValues()
    {
        await using ModbusClient client = CreateClient();
        foreach (KnownPoint point in KnownPoints.All)
        {
            var format = new PointFormat(PointCodec.ParseType(point.Type), PointCodec.ParseOrder(point.Order));
            var registers = new ushort[format.RegisterCount];
            PointCodec.Encode(Convert.ToString(point.Value, System.Globalization.CultureInfo.InvariantCulture)!, format, registers);
            await client.WriteMultipleRegistersAsync(Unit, 8000, registers);
            ushort[] read = await client.ReadHoldingRegistersAsync(Unit, 8000, registers.Length);
            Assert.Equal(point.Value, PointCodec.Decode(read, format));
        }
    }
}

// The allocation check reads the process-wide allocation counter: run it while no other test class runs.
[Collection(AllocationMeasurementCollection.Name)]
public sealed class LibModbusTcpTests(LibModbusServerFixture server) : ModbusSlaveConformanceTests, IClassFixture<LibModbusServerFixture>
{
    protected override ModbusClient CreateClient(ModbusClientOptions? options = null) => ModbusClient.CreateTcp("127.0.0.1", server.Port, options ?? DefaultOptions());

    [Fact]
    public async Task ReadHoldingRegisters_ManyInFlight_MatchEachResponseToItsRequest()
    {
        var options = DefaultOptions();
        options.MaxInFlight = 8;
        await using ModbusClient client = CreateClient(options);
        Task[] reads = Enumerable.Range(0, 400).Select(async i =>
        {
            ushort address = (ushort)(i * 7 % 900); // below the typed points at 1000
            ushort[] registers = await client.ReadHoldingRegistersAsync(Unit, address, 3);
            Assert.Equal([address, (ushort)(address + 1), (ushort)(address + 2)], registers);
        }).ToArray();
        await Task.WhenAll(reads);
        Assert.Equal(0, client.DiscardedResponses);
    }

    [Fact]
    public async Task ReadHoldingRegisters_IntoCallerMemory_DoesNotAllocatePerPollAfterWarmUp()
    {
        await using ModbusClient client = CreateClient();
        var registers = new ushort[125];
        for (int i = 0; i < 50; i++)
        {
            await client.ReadHoldingRegistersAsync(Unit, 0, registers.AsMemory());
        }

        long before = GC.GetTotalAllocatedBytes(precise: true);
        const int Polls = 500;
        for (int i = 0; i < Polls; i++)
        {
            await client.ReadHoldingRegistersAsync(Unit, 0, registers.AsMemory());
        }

        long perPoll = (GC.GetTotalAllocatedBytes(precise: true) - before) / Polls;
        Assert.Equal((ushort)124, registers[124]);

        // The linked timeout token source and the async state machines are the remaining per-poll cost; no buffers.
        Assert.True(perPoll < 2048, $"{perPoll} bytes per poll");
    }
}

public sealed class LibModbusTcpBlockingSocketTests(LibModbusServerFixture server) : ModbusSlaveConformanceTests, IClassFixture<LibModbusServerFixture>
{
    protected override ModbusClient CreateClient(ModbusClientOptions? options = null)
    {
        options ??= DefaultOptions();
        options.BlockingSocket = true;
        return ModbusClient.CreateTcp("127.0.0.1", server.Port, options);
    }
}

public sealed class PymodbusTcpTests(PymodbusTcpFixture server) : ModbusSlaveConformanceTests, IClassFixture<PymodbusTcpFixture>
{
    protected override ModbusClient CreateClient(ModbusClientOptions? options = null) => ModbusClient.CreateTcp("127.0.0.1", server.Port, options ?? DefaultOptions());
}

public sealed class PymodbusRtuOverTcpTests(PymodbusRtuOverTcpFixture server) : ModbusSlaveConformanceTests, IClassFixture<PymodbusRtuOverTcpFixture>
{
    protected override ModbusClient CreateClient(ModbusClientOptions? options = null) => ModbusClient.CreateRtuOverTcp("127.0.0.1", server.Port, options ?? DefaultOptions());
}

public sealed class PymodbusRtuSerialTests(PymodbusRtuFixture slave) : ModbusSlaveConformanceTests, IClassFixture<PymodbusRtuFixture>
{
    protected override ModbusClient CreateClient(ModbusClientOptions? options = null)
        => ModbusClient.CreateRtu(new SerialSettings(slave.SerialDevice!) { BaudRate = 19200, Parity = System.IO.Ports.Parity.None } /* Linux ptys refuse PARENB (EINVAL) */, options ?? DefaultOptions());
}

/// <summary>Tests that measure process-wide allocations run alone (after the parallel collections).</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AllocationMeasurementCollection
{
    public const string Name = "AllocationMeasurement";
}
