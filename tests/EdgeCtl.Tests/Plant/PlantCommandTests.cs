using EdgeCtl.Commands;
using SimulatedPlant.Hosting;
using SimulatedPlant.Process;

namespace EdgeCtl.Tests.Plant;

[Trait("Category", "Integration")]
public sealed class PlantCommandTests : IAsyncLifetime, IAsyncDisposable
{
    private readonly PlantHost _host = new(new PlantHostOptions { ModbusPort = 0, ControlPort = 0, EnableOpcUa = false });

    public Task InitializeAsync() => _host.StartAsync(CancellationToken.None);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    ValueTask IAsyncDisposable.DisposeAsync() => _host.DisposeAsync();

    private Task<int> RunAsync(params string[] args) => EdgeCtlCli.Build().Parse([.. args, "--url", _host.ControlUrl.ToString()]).InvokeAsync();

    [Fact]
    public async Task PlantFault_InjectsTheFault_AndClearRemovesIt()
    {
        Assert.Equal(0, await RunAsync("plant", "fault", "bearing"));
        Assert.Equal([PlantFault.Bearing], _host.Model.Current.ActiveFaults);

        Assert.Equal(0, await RunAsync("plant", "fault", "clear"));
        Assert.Empty(_host.Model.Current.ActiveFaults);
    }

    [Fact]
    public async Task PlantFault_SensorStuckWithSignal_FreezesThatSignal()
    {
        Assert.Equal(0, await RunAsync("plant", "fault", "sensor-stuck", "--signal", "pressure"));

        Assert.Equal(PlantSignal.Pressure, _host.Model.Current.StuckSignal);
    }

    [Fact]
    public async Task PlantFault_UnknownKind_FailsWithoutCallingThePlant()
    {
        Assert.NotEqual(0, await RunAsync("plant", "fault", "gremlins"));
        Assert.Empty(_host.Model.Current.ActiveFaults);
    }

    [Fact]
    public async Task PlantStatus_Succeeds()
    {
        Assert.Equal(0, await RunAsync("plant", "status"));
    }
}
