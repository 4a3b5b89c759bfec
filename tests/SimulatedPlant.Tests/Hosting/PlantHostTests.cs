using System.Net;
using System.Net.Http.Json;
using SimulatedPlant.Hosting;
using SimulatedPlant.OpcUa;
using SimulatedPlant.Process;
using SimulatedPlant.Tests.Modbus;
using SimulatedPlant.Tests.OpcUa;
using TestSupport;
using TestSupport.Peers;

namespace SimulatedPlant.Tests.Hosting;

[Trait("Category", "Integration")]
public sealed class PlantHostTests : IAsyncLifetime, IAsyncDisposable
{
    private readonly ManualTimeProvider _time = new(new DateTimeOffset(2026, 11, 25, 8, 0, 0, TimeSpan.Zero));
    private readonly PlantHost _host;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };

    public PlantHostTests()
    {
        _host = new PlantHost(new PlantHostOptions { ModbusPort = 0, ControlPort = 0, EnableOpcUa = false }, _time);
    }

    public async Task InitializeAsync()
    {
        await _host.StartAsync(CancellationToken.None);
        _http.BaseAddress = _host.ControlUrl;
        _time.Advance(TimeSpan.FromSeconds(5));
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _host.DisposeAsync();
    }

    ValueTask IAsyncDisposable.DisposeAsync() => _host.DisposeAsync();

    private async Task<float> ReadFloatAsync(PlantSignal signal)
    {
        var results = await PymodbusPeer.RunAsync(_host.ModbusPort, $$"""[{"fc":4,"address":{{2 * (int)signal}},"count":2}]""");
        return PymodbusPeer.Float(PymodbusPeer.Registers(results[0]), 0);
    }

    [Fact]
    public async Task GetPlant_ReportsValuesUnitsFaultsAndPorts()
    {
        PlantState? state = await _http.GetFromJsonAsync("/plant", PlantJsonContext.Default.PlantState);

        Assert.NotNull(state);
        Assert.Equal(50, state.Step);
        Assert.Equal(PlantSignals.Count, state.Values.Count);
        Assert.Equal("degC", state.Units["temperature"]);
        Assert.Empty(state.Faults);
        Assert.Equal(_host.ModbusPort, state.ModbusPort);
        Assert.Null(state.OpcUaPort);
    }

    [Fact]
    public async Task PostSensorDropout_MakesModbusReadsFailWith04_AndDeleteRestoresThem()
    {
        using HttpResponseMessage injected = await _http.PostAsync(new Uri("/plant/faults/sensor-dropout", UriKind.Relative), null);
        injected.EnsureSuccessStatusCode();
        var during = await PymodbusPeer.RunAsync(_host.ModbusPort, """[{"fc":4,"address":0,"count":2}]""");

        using HttpResponseMessage cleared = await _http.DeleteAsync(new Uri("/plant/faults", UriKind.Relative));
        cleared.EnsureSuccessStatusCode();
        var after = await PymodbusPeer.RunAsync(_host.ModbusPort, """[{"fc":4,"address":0,"count":2}]""");

        Assert.Equal(4, PymodbusPeer.ExceptionCode(during[0]));
        Assert.Equal(2, PymodbusPeer.Registers(after[0]).Length);
    }

    [Fact]
    public async Task PostCavitation_LowersTheModbusPressure()
    {
        float before = await ReadFloatAsync(PlantSignal.Pressure);

        using HttpResponseMessage response = await _http.PostAsync(new Uri("/plant/faults/cavitation", UriKind.Relative), null);
        PlantState? state = await response.Content.ReadFromJsonAsync(PlantJsonContext.Default.PlantState);
        _time.Advance(TimeSpan.FromSeconds(10));
        float after = await ReadFloatAsync(PlantSignal.Pressure);

        Assert.Equal(["cavitation"], state!.Faults);
        Assert.True(after < 0.8 * before, $"{before} -> {after}");
    }

    [Fact]
    public async Task PostOverheat_RaisesTheModbusTemperature()
    {
        float before = await ReadFloatAsync(PlantSignal.Temperature);

        using HttpResponseMessage response = await _http.PostAsync(new Uri("/plant/faults/overheat", UriKind.Relative), null);
        response.EnsureSuccessStatusCode();
        _time.Advance(TimeSpan.FromSeconds(120));
        float after = await ReadFloatAsync(PlantSignal.Temperature);

        Assert.True(after > before + 15, $"{before} -> {after}");
    }

    [Fact]
    public async Task PostSensorStuck_WithSignal_FreezesThatModbusValue()
    {
        using HttpResponseMessage response = await _http.PostAsync(new Uri("/plant/faults/sensor-stuck?signal=flow", UriKind.Relative), null);
        response.EnsureSuccessStatusCode();
        float first = await ReadFloatAsync(PlantSignal.Flow);
        _time.Advance(TimeSpan.FromSeconds(3));
        float second = await ReadFloatAsync(PlantSignal.Flow);

        Assert.Equal(first, second);
        Assert.Equal("flow", (await response.Content.ReadFromJsonAsync(PlantJsonContext.Default.PlantState))!.StuckSignal);
    }

    [Fact]
    public async Task PostBearing_ShowsOnTheFaultCoil()
    {
        using HttpResponseMessage response = await _http.PostAsync(new Uri("/plant/faults/bearing", UriKind.Relative), null);
        response.EnsureSuccessStatusCode();
        var results = await PymodbusPeer.RunAsync(_host.ModbusPort, """[{"fc":1,"address":0,"count":5}]""");

        Assert.Equal([true, false, false, false, false], PymodbusPeer.Bits(results[0]));
    }

    [Fact]
    public async Task PostUnknownFault_Returns400WithTheAllowedNames()
    {
        using HttpResponseMessage response = await _http.PostAsync(new Uri("/plant/faults/gremlins", UriKind.Relative), null);
        PlantError? error = await response.Content.ReadFromJsonAsync(PlantJsonContext.Default.PlantError);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("sensor-dropout", error!.Allowed);
    }

    [Fact]
    public async Task PostClear_RemovesEveryFault()
    {
        (await _http.PostAsync(new Uri("/plant/faults/bearing", UriKind.Relative), null)).Dispose();
        (await _http.PostAsync(new Uri("/plant/faults/overheat", UriKind.Relative), null)).Dispose();
        using HttpResponseMessage response = await _http.PostAsync(new Uri("/plant/faults/clear", UriKind.Relative), null);

        Assert.Empty((await response.Content.ReadFromJsonAsync(PlantJsonContext.Default.PlantState))!.Faults);
        Assert.Empty(_host.Model.Current.ActiveFaults);
    }

    [Fact]
    public async Task StopAsync_IsSafeTwice_AndFreesThePorts()
    {
        int modbusPort = _host.ModbusPort;
        await _host.StopAsync(CancellationToken.None);
        await _host.StopAsync(CancellationToken.None);

        using var probe = new System.Net.Sockets.TcpClient();
        await Assert.ThrowsAnyAsync<System.Net.Sockets.SocketException>(() => probe.ConnectAsync(IPAddress.Loopback, modbusPort));
    }
}

/// <summary>The whole plant on the real clock: Modbus, node-opcua and the control API together.</summary>
[Trait("Category", "Integration")]
public sealed class PlantHostWithOpcUaTests
{
    [Fact]
    public async Task FaultInjectedOverHttp_ReachesModbusAndOpcUa()
    {
        string pki = Directory.CreateTempSubdirectory("plant-host-test-").FullName;
        try
        {
            await using var host = new PlantHost(new PlantHostOptions
            {
                ModbusPort = 0,
                OpcUaPort = 0,
                ControlPort = 0,
                OpcUaScriptPath = OpcUaPlantServer.FindScript(ScriptPeer.RepositoryRoot),
                OpcUaPkiFolder = Path.Combine(pki, "server"),
                OpcUaPublishInterval = TimeSpan.FromMilliseconds(100),
            });
            await host.StartAsync(CancellationToken.None);
            using var http = new HttpClient { BaseAddress = host.ControlUrl };

            using HttpResponseMessage response = await http.PostAsync(new Uri("/plant/faults/sensor-dropout", UriKind.Relative), null);
            response.EnsureSuccessStatusCode();
            await Task.Delay(300);
            var modbus = await PymodbusPeer.RunAsync(host.ModbusPort, """[{"fc":4,"address":12,"count":2}]""");
            var opcua = await NodeOpcUaPeer.ReadAsync(host.OpcUaEndpointUrl!, pki, "ns=1;s=PumpLine.temperature", "ns=1;s=PumpLine.faults");

            Assert.Equal(4, PymodbusPeer.ExceptionCode(modbus[0]));
            Assert.Equal("BadNoCommunication", NodeOpcUaPeer.Value(opcua, "ns=1;s=PumpLine.temperature").GetProperty("status").GetString());
            Assert.Equal("sensor-dropout", NodeOpcUaPeer.Value(opcua, "ns=1;s=PumpLine.faults").GetProperty("value").GetString());
            Assert.NotNull(host.OpcUaPort);
        }
        finally
        {
            Directory.Delete(pki, recursive: true);
        }
    }
}
