using SensorIngest.Configuration;
using SensorIngest.Modbus;
using SensorIngest.Polling;
using SimulatedPlant.Process;
using TestSupport;

namespace SensorIngest.Tests.Polling;

[Trait("Category", "Integration")]
public class SlavePollerTests(PlantModbusFixture plant) : IClassFixture<PlantModbusFixture>
{
    private SlaveConfiguration PlantSlave(string name = "pump1", double pollMs = 1000) =>
        DefaultConfiguration.FromEndpoint($"127.0.0.1:{plant.Port}")!.Slaves[0] is { } s
            ? new SlaveConfiguration { Name = name, Host = s.Host, Port = s.Port, UnitId = 1, PollingInterval = TimeSpan.FromMilliseconds(pollMs), Timeout = TimeSpan.FromMilliseconds(500), RetryCount = 0, Points = s.Points }
            : throw new InvalidOperationException();

    [Fact]
    public async Task PollOnce_PlantFloats_DecodeToModelValuesInOneRequest()
    {
        var sink = new ListTelemetrySink();
        await using var poller = new SlavePoller(PlantSlave(), sink);
        long requestsBefore = plant.Server.RequestCount;

        TelemetryBatch batch = await poller.PollOnceAsync(CancellationToken.None);

        Assert.Equal(1, poller.RequestsPerCycle);
        Assert.Equal(1, plant.Server.RequestCount - requestsBefore);
        Assert.Equal("modbus://pump1", batch.Source);
        Assert.Equal(11, batch.Points.Count);
        PlantSnapshot snapshot = plant.Line.Current;
        for (int i = 0; i < PlantSignals.Count; i++)
        {
            TelemetryPoint p = batch.Points[i];
            Assert.Equal("pump1." + PlantSignals.All[i].Name, p.Signal);
            Assert.Equal(PlantSignals.All[i].Unit, p.Unit);
            Assert.Equal(TelemetryPoint.Good, p.Quality);
            Assert.Equal((double)(float)snapshot[(PlantSignal)i], p.Value);
            Assert.Equal(i + 1, p.Seq);
        }

        Assert.True(poller.Health.Connected);
        Assert.Equal(0, poller.Health.ErrorCount);
    }

    [Fact]
    public async Task PollOnce_MixedFunctionsAndScaling_Decode()
    {
        SlaveConfiguration config = PlantSlave() is var s ? new SlaveConfiguration
        {
            Name = "mixed", Host = s.Host, Port = s.Port, Points =
            [
                new PointConfiguration { Signal = "temp.scaled", Function = 3, Address = 6, Type = PointType.Int16, Scale = 0.1, Unit = "degC" },
                new PointConfiguration { Signal = "speed", Function = 3, Address = 10, Type = PointType.Int16 },
                new PointConfiguration { Signal = "running", Function = 2, Address = 0, Type = PointType.Bool },
                new PointConfiguration { Signal = "bearing.fault", Function = 1, Address = 0, Type = PointType.Bool },
                new PointConfiguration { Signal = "step", Function = 4, Address = 100, Type = PointType.UInt32 },
            ],
        } : throw new InvalidOperationException();
        await using var poller = new SlavePoller(config, new ListTelemetrySink());

        TelemetryBatch batch = await poller.PollOnceAsync(CancellationToken.None);

        PlantSnapshot snapshot = plant.Line.Current;
        Assert.All(batch.Points, p => Assert.Equal(TelemetryPoint.Good, p.Quality));
        Assert.Equal(Math.Round(Math.Round(snapshot[PlantSignal.Temperature] * 10) * 0.1, 1), batch.Points[0].Value);
        Assert.Equal(Math.Round(snapshot[PlantSignal.Speed]), batch.Points[1].Value);
        Assert.Equal(1, batch.Points[2].Value);
        Assert.Equal(0, batch.Points[3].Value);
        Assert.Equal(5, poller.RequestsPerCycle); // holding 6 and 10 are not adjacent
    }

    [Theory]
    [InlineData(PointType.Int16, 0.1, 0, 1)]
    [InlineData(PointType.Int32, 0.001, 0, 3)]
    [InlineData(PointType.UInt16, 1, -273.15, 2)]
    [InlineData(PointType.UInt16, 1, 0, -1)]
    [InlineData(PointType.Float32, 0.1, 0, -1)]
    public void ScaledDecimals_IntegersRoundToTheDecimalsOfScaleAndOffset(PointType type, double scale, double offset, int expected) =>
        Assert.Equal(expected, SlavePoller.ScaledDecimals(new PointConfiguration { Signal = "s", Function = 3, Type = type, Scale = scale, Offset = offset }));

    [Fact]
    public async Task PollOnce_SensorDropout_MarksPointsBadAndKeepsError()
    {
        var line = new PumpLine();
        await using var server = new SimulatedPlant.Modbus.ModbusTcpServer(new SimulatedPlant.Modbus.PlantModbusMap(line), new SimulatedPlant.Modbus.ModbusTcpServerOptions());
        await server.StartAsync(CancellationToken.None);
        SlaveConfiguration config = DefaultConfiguration.FromEndpoint($"127.0.0.1:{server.Port}")!.Slaves[0];
        await using var poller = new SlavePoller(config, new ListTelemetrySink());
        line.InjectFault(PlantFault.SensorDropout);

        TelemetryBatch bad = await poller.PollOnceAsync(CancellationToken.None);
        line.ClearFaults();
        TelemetryBatch good = await poller.PollOnceAsync(CancellationToken.None);

        Assert.All(bad.Points, p => Assert.Equal((TelemetryPoint.Bad, (double?)null), (p.Quality, p.Value)));
        Assert.All(good.Points, p => Assert.Equal(TelemetryPoint.Good, p.Quality));
        Assert.Equal(23, good.Points[^1].Seq - bad.Points[0].Seq + 1 + 1); // 22 points, seq continues across cycles
        SlaveHealth health = poller.Health;
        Assert.True(health.Connected); // an exception response means the slave answered
        Assert.Equal(1, health.ErrorCount);
        Assert.Contains("ServerDeviceFailure", health.LastError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PollOnce_SilentSlave_BadQualityAfterTimeoutAndDisconnected()
    {
        await using var silent = new SilentSlave();
        var config = new SlaveConfiguration
        {
            Name = "silent", Host = "127.0.0.1", Port = silent.Port, Timeout = TimeSpan.FromMilliseconds(200), RetryCount = 0,
            Points = [new PointConfiguration { Signal = "a", Function = 3, Address = 0 }, new PointConfiguration { Signal = "b", Function = 4, Address = 0 }],
        };
        await using var poller = new SlavePoller(config, new ListTelemetrySink());
        var watch = System.Diagnostics.Stopwatch.StartNew();

        TelemetryBatch batch = await poller.PollOnceAsync(CancellationToken.None);

        Assert.All(batch.Points, p => Assert.Equal(TelemetryPoint.Bad, p.Quality));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), "the second block must not wait another timeout");
        Assert.False(poller.Health.Connected);
        Assert.IsType<string>(poller.Health.LastError);
    }

    [Fact]
    public async Task Run_ManualClock_PollsOnEverySlotWithoutDriftAndSkipsMissedSlots()
    {
        var time = new ManualTimeProvider(new DateTimeOffset(2026, 11, 25, 8, 0, 0, TimeSpan.Zero));
        var sink = new ListTelemetrySink();
        await using var poller = new SlavePoller(PlantSlave("clock"), sink, time);
        using var cts = new CancellationTokenSource();
        Task run = poller.RunAsync(cts.Token);

        // Advance only once the loop is parked on its next deadline; advancing while it still computes the next slot
        // would (correctly) count a missed slot.
        await sink.WaitForAsync(() => sink.Batches.Count == 1 && time.PendingTimers == 1);
        for (int i = 2; i <= 5; i++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await sink.WaitForAsync(() => sink.Batches.Count == i && time.PendingTimers == 1);
        }

        time.Advance(TimeSpan.FromMilliseconds(3500)); // slots 5, 6, 7 are due at once: one poll, two skipped
        await sink.WaitForAsync(() => sink.Batches.Count == 6 && time.PendingTimers == 1);
        Assert.Equal(6, sink.Batches.Count);
        time.Advance(TimeSpan.FromMilliseconds(500)); // back on the grid at t = 8 s
        await sink.WaitForAsync(() => sink.Batches.Count == 7);

        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        string[] stamps = sink.Batches.Select(b => b.Points[0].Ts).ToArray();
        Assert.Equal(["08:00:00", "08:00:01", "08:00:02", "08:00:03", "08:00:04", "08:00:07.5", "08:00:08"], stamps.Select(s => s[11..19] + (s[20..23] == "000" ? "" : "." + s[20..21])));
        Assert.Equal(2, poller.Health.MissedSlots);
        Assert.Equal(Enumerable.Range(1, 77).Select(i => (long)i), sink.Batches.SelectMany(b => b.Points).Select(p => p.Seq));
    }

    [Fact]
    public async Task Engine_SilentSlave_DoesNotDelayFastSlave()
    {
        // Observed: in the 2-core test host the pool starts with 2 threads and stalls ~1 s (thread injection) while the
        // runner holds them, which would read as a scheduling bug; the module itself does not depend on this.
        ThreadPool.SetMinThreads(16, 16);
        await using var silent = new SilentSlave();
        var sink = new ListTelemetrySink();
        await using var engine = new PollingEngine(sink);
        var config = new IngestConfiguration
        {
            Slaves =
            [
                PlantSlave("fast", 100),
                new SlaveConfiguration { Name = "silent", Host = "127.0.0.1", Port = silent.Port, Timeout = TimeSpan.FromSeconds(3), RetryCount = 0, PollingInterval = TimeSpan.FromMilliseconds(100), Points = [new PointConfiguration { Signal = "x", Function = 3, Address = 0 }] },
            ],
        };

        await engine.ApplyAsync(config, CancellationToken.None);
        await Task.Delay(1500);

        Assert.True(sink.Count("modbus://fast") >= 8, $"fast slave polled {sink.Count("modbus://fast")} times: " + string.Join(",", sink.Batches.Where(b => b.Source == "modbus://fast").Select(b => b.Points[0].Ts[17..] + b.Points[0].Quality)) + string.Join(";", engine.Health().Select(h => h.LastError)));
        Assert.Equal(0, sink.Count("modbus://silent"));
        Assert.Equal(2, engine.Health().Count);
    }

    [Fact]
    public async Task Engine_Apply_ReplacesPollers()
    {
        var sink = new ListTelemetrySink();
        await using var engine = new PollingEngine(sink);
        await engine.ApplyAsync(new IngestConfiguration { Slaves = [PlantSlave("first", 50)] }, CancellationToken.None);
        await sink.WaitForAsync(() => sink.Count("modbus://first") >= 2);

        await engine.ApplyAsync(new IngestConfiguration { Slaves = [PlantSlave("second", 50)] }, CancellationToken.None);
        int first = sink.Count("modbus://first");
        await sink.WaitForAsync(() => sink.Count("modbus://second") >= 2);

        Assert.Equal(first, sink.Count("modbus://first"));
        Assert.Equal("second", Assert.Single(engine.Health()).Name);
    }
}
