using SimulatedPlant.Modbus;
using SimulatedPlant.Process;
using TestSupport;

namespace SimulatedPlant.Tests.Modbus;

/// <summary>Every function code and exception code of the plant's Modbus server, exercised by a real pymodbus client.</summary>
[Trait("Category", "Integration")]
public sealed class PlantModbusMapPymodbusTests : IAsyncLifetime, IAsyncDisposable
{
    private readonly ManualTimeProvider _time = new(new DateTimeOffset(2026, 11, 25, 8, 0, 0, TimeSpan.Zero));
    private readonly PumpLine _line;
    private readonly ModbusTcpServer _server;

    public PlantModbusMapPymodbusTests()
    {
        _line = new PumpLine(new PumpLineOptions { Seed = 3 }, _time);
        _server = new ModbusTcpServer(new PlantModbusMap(_line), new ModbusTcpServerOptions { Port = 0 });
    }

    public async Task InitializeAsync()
    {
        await _server.StartAsync(CancellationToken.None);
        _time.Advance(TimeSpan.FromSeconds(10));
        _line.Update();
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    ValueTask IAsyncDisposable.DisposeAsync() => _server.DisposeAsync();

    [Fact]
    public async Task Fc04_ReadsEverySignalAsFloat32HighWordFirst()
    {
        var results = await PymodbusPeer.RunAsync(_server.Port, """[{"fc":4,"address":0,"count":22},{"fc":4,"address":100,"count":2}]""");
        ushort[] registers = PymodbusPeer.Registers(results[0]);
        PlantSnapshot s = _line.Current;

        foreach (SignalInfo info in PlantSignals.All)
        {
            Assert.Equal((float)s[info.Signal], PymodbusPeer.Float(registers, (int)info.Signal));
        }

        ushort[] step = PymodbusPeer.Registers(results[1]);
        Assert.Equal(s.Step, ((long)step[0] << 16) | step[1]);
    }

    [Fact]
    public async Task Fc03_ReadsScaledInt16Copies()
    {
        var results = await PymodbusPeer.RunAsync(_server.Port, """[{"fc":3,"address":0,"count":11}]""");
        ushort[] registers = PymodbusPeer.Registers(results[0]);
        PlantSnapshot s = _line.Current;

        foreach (SignalInfo info in PlantSignals.All)
        {
            Assert.Equal(PlantModbusMap.Scaled(s, info.Signal), (short)registers[(int)info.Signal]);
        }

        Assert.InRange((short)registers[(int)PlantSignal.Temperature] / 10.0, 45, 60);
    }

    [Fact]
    public async Task Fc01Fc05Fc15_FaultCoilsInjectAndClearFaults()
    {
        var results = await PymodbusPeer.RunAsync(
            _server.Port,
            """
            [{"fc":1,"address":0,"count":5},
             {"fc":5,"address":2,"value":true},
             {"fc":1,"address":0,"count":5},
             {"fc":15,"address":0,"values":[true,false,false,false,true]},
             {"fc":1,"address":0,"count":5}]
            """);

        Assert.Equal(new bool[5], PymodbusPeer.Bits(results[0]));
        PymodbusPeer.Ok(results[1]);
        Assert.Equal([false, false, true, false, false], PymodbusPeer.Bits(results[2]));
        PymodbusPeer.Ok(results[3]);
        Assert.Equal([true, false, false, false, true], PymodbusPeer.Bits(results[4]));
        Assert.Equal([PlantFault.Bearing, PlantFault.SensorDropout], _line.Current.ActiveFaults);
    }

    [Fact]
    public async Task Fc02_ReadsStatusInputs()
    {
        var results = await PymodbusPeer.RunAsync(_server.Port, """[{"fc":2,"address":0,"count":5}]""");

        Assert.Equal([true, false, false, false, false], PymodbusPeer.Bits(results[0]));
    }

    [Fact]
    public async Task Fc06Fc16_WriteScratchAndSetpointRegisters()
    {
        var results = await PymodbusPeer.RunAsync(
            _server.Port,
            """
            [{"fc":6,"address":200,"value":1234},
             {"fc":16,"address":201,"values":[1,2,65535]},
             {"fc":3,"address":200,"count":4},
             {"fc":6,"address":100,"value":1500},
             {"fc":3,"address":100,"count":1}]
            """);

        PymodbusPeer.Ok(results[0]);
        PymodbusPeer.Ok(results[1]);
        Assert.Equal(new ushort[] { 1234, 1, 2, 65535 }, PymodbusPeer.Registers(results[2]));
        PymodbusPeer.Ok(results[3]);
        Assert.Equal(new ushort[] { 1500 }, PymodbusPeer.Registers(results[4]));
        Assert.Equal(1500, _line.SpeedSetpoint);
    }

    [Fact]
    public async Task ExceptionCodes_01_02_03_ReachTheClient()
    {
        var results = await PymodbusPeer.RunAsync(
            _server.Port,
            """
            [{"fc":7},
             {"fc":3,"address":50,"count":1},
             {"fc":4,"address":20,"count":4},
             {"fc":6,"address":0,"value":1},
             {"fc":1,"address":5,"count":1},
             {"fc":3,"address":0,"count":126},
             {"fc":6,"address":100,"value":9999}]
            """);

        Assert.Equal(1, PymodbusPeer.ExceptionCode(results[0]));
        Assert.Equal(2, PymodbusPeer.ExceptionCode(results[1]));
        Assert.Equal(2, PymodbusPeer.ExceptionCode(results[2]));
        Assert.Equal(2, PymodbusPeer.ExceptionCode(results[3]));
        Assert.Equal(2, PymodbusPeer.ExceptionCode(results[4]));
        Assert.Equal(3, PymodbusPeer.ExceptionCode(results[5]));
        Assert.Equal(3, PymodbusPeer.ExceptionCode(results[6]));
    }

    [Fact]
    public async Task SensorDropout_AnswersException04_ForMeasuredValues_ButCoilsStillWork()
    {
        _line.InjectFault(PlantFault.SensorDropout);

        var results = await PymodbusPeer.RunAsync(
            _server.Port,
            """
            [{"fc":4,"address":0,"count":2},
             {"fc":3,"address":0,"count":1},
             {"fc":2,"address":0,"count":1},
             {"fc":5,"address":4,"value":false},
             {"fc":4,"address":0,"count":2}]
            """);

        Assert.Equal(4, PymodbusPeer.ExceptionCode(results[0]));
        Assert.Equal(4, PymodbusPeer.ExceptionCode(results[1]));
        Assert.Equal(4, PymodbusPeer.ExceptionCode(results[2]));
        PymodbusPeer.Ok(results[3]);
        Assert.Equal(2, PymodbusPeer.Registers(results[4]).Length);
    }

    [Fact]
    public async Task AnyUnitId_IsServed()
    {
        var results = await PymodbusPeer.RunAsync(_server.Port, """[{"fc":3,"address":100,"count":1}]""", unit: 247);

        Assert.Equal(new ushort[] { 2950 }, PymodbusPeer.Registers(results[0]));
    }
}
