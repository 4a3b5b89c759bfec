using SimulatedPlant.OpcUa;
using SimulatedPlant.Process;
using TestSupport;
using TestSupport.Peers;

namespace SimulatedPlant.Tests.OpcUa;

/// <summary>Starts the node-opcua plant server once for the class; stops it by its process id.</summary>
public sealed class OpcUaPlantServerFixture : IAsyncLifetime
{
    public string PkiFolder { get; } = Directory.CreateTempSubdirectory("plant-opcua-test-").FullName;

    public OpcUaPlantServer Server { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Server = new OpcUaPlantServer(new OpcUaPlantServerOptions
        {
            Port = 0,
            ScriptPath = OpcUaPlantServer.FindScript(ScriptPeer.RepositoryRoot),
            PkiFolder = Path.Combine(PkiFolder, "server"),
        });
        await Server.StartAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        Directory.Delete(PkiFolder, recursive: true);
    }
}

[Trait("Category", "Integration")]
public sealed class OpcUaPlantServerTests(OpcUaPlantServerFixture fixture) : IClassFixture<OpcUaPlantServerFixture>
{
    private static PumpLine Line(out ManualTimeProvider time)
    {
        time = new ManualTimeProvider(new DateTimeOffset(2026, 11, 25, 8, 0, 0, TimeSpan.Zero));
        return new PumpLine(new PumpLineOptions { Seed = 5 }, time);
    }

    [Fact]
    public async Task Server_ReportsEndpointAndPid()
    {
        Assert.NotNull(fixture.Server.ProcessId);
        Assert.Equal($"opc.tcp://127.0.0.1:{fixture.Server.Port}/", fixture.Server.EndpointUrl);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task PublishedValues_AreReadByANodeOpcUaClient_WithEngineeringUnits()
    {
        PumpLine line = Line(out ManualTimeProvider time);
        time.Advance(TimeSpan.FromSeconds(5));
        PlantSnapshot snapshot = line.Update();
        line.InjectFault(PlantFault.Bearing);
        await fixture.Server.PublishAsync(line.Current, CancellationToken.None);

        var read = await NodeOpcUaPeer.ReadAsync(
            fixture.Server.EndpointUrl!,
            fixture.PkiFolder,
            "ns=1;s=PumpLine.temperature",
            "ns=1;s=PumpLine.vibration.rms",
            "ns=1;s=PumpLine.faults");

        var temperature = NodeOpcUaPeer.Value(read, "ns=1;s=PumpLine.temperature");
        Assert.Equal("Good", temperature.GetProperty("status").GetString());
        // The JSON line carries 6 decimals.
        Assert.Equal(snapshot[PlantSignal.Temperature], temperature.GetProperty("value").GetDouble(), tolerance: 1e-6);
        Assert.Equal(snapshot[PlantSignal.VibrationRms], NodeOpcUaPeer.Value(read, "ns=1;s=PumpLine.vibration.rms").GetProperty("value").GetDouble(), tolerance: 1e-6);
        Assert.Equal("bearing", NodeOpcUaPeer.Value(read, "ns=1;s=PumpLine.faults").GetProperty("value").GetString());
        Assert.Equal("°C", read.GetProperty("units").GetProperty("ns=1;s=PumpLine.temperature").GetString());
        Assert.Equal("mm/s", read.GetProperty("units").GetProperty("ns=1;s=PumpLine.vibration.rms").GetString());
    }

    [Fact]
    public async Task SensorDropout_TurnsValuesBadNoCommunication()
    {
        PumpLine line = Line(out _);
        await fixture.Server.PublishAsync(line.InjectFault(PlantFault.SensorDropout), CancellationToken.None);

        var read = await NodeOpcUaPeer.ReadAsync(fixture.Server.EndpointUrl!, fixture.PkiFolder, "ns=1;s=PumpLine.pressure");

        Assert.Equal("BadNoCommunication", NodeOpcUaPeer.Value(read, "ns=1;s=PumpLine.pressure").GetProperty("status").GetString());
        await fixture.Server.PublishAsync(line.ClearFaults(), CancellationToken.None);
    }
}

[Trait("Category", "Integration")]
public sealed class OpcUaPlantServerLifecycleTests
{
    [Fact]
    public async Task StopAsync_EndsTheNodeProcess_AndIsSafeTwice()
    {
        string pki = Directory.CreateTempSubdirectory("plant-opcua-life-").FullName;
        try
        {
            var server = new OpcUaPlantServer(new OpcUaPlantServerOptions { ScriptPath = OpcUaPlantServer.FindScript(ScriptPeer.RepositoryRoot), PkiFolder = pki });
            await server.StartAsync(CancellationToken.None);
            int pid = server.ProcessId!.Value;

            await server.StopAsync(CancellationToken.None);
            await server.DisposeAsync();

            Assert.Throws<ArgumentException>(() => System.Diagnostics.Process.GetProcessById(pid));
        }
        finally
        {
            Directory.Delete(pki, recursive: true);
        }
    }

    [Fact]
    public void ToJsonLine_CarriesQualityFaultsAndEverySignal()
    {
        var time = new ManualTimeProvider(new DateTimeOffset(2026, 11, 25, 8, 0, 0, TimeSpan.Zero));
        var line = new PumpLine(null, time);

        string json = OpcUaPlantServer.ToJsonLine(line.InjectFault(PlantFault.SensorDropout), new OpcUaPlantServer.ArrayBufferWriterPool());

        using var document = System.Text.Json.JsonDocument.Parse(json);
        Assert.Equal("bad", document.RootElement.GetProperty("quality").GetString());
        Assert.Equal("2026-11-25T08:00:00.000Z", document.RootElement.GetProperty("ts").GetString());
        Assert.Equal("sensor-dropout", document.RootElement.GetProperty("faults")[0].GetString());
        Assert.Equal(PlantSignals.Count, document.RootElement.GetProperty("values").EnumerateObject().Count());
        Assert.DoesNotContain('\n', json);
    }
}
