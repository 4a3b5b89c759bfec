using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using EdgeCtl.Manifest;
using EdgeCtl.Supervisor;
using static EdgeCtl.Tests.Supervisor.SupervisorHarness;

namespace EdgeCtl.Tests.Supervisor;

[Trait("Category", "Integration")]
public class SupervisorMetricsTests
{
    [Fact]
    public async Task Restart_IsCountedPerModule_AndFailedBuildsAreCounted()
    {
        var measurements = new ConcurrentQueue<(string Instrument, long Value, string? Module)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "EdgeCtl.Supervisor") l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            string? module = null;
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                if (tag.Key == "module") module = tag.Value as string;
            }

            measurements.Enqueue((instrument.Name, value, module));
        });
        listener.Start();

        await using var h = new SupervisorHarness();
        await h.Supervisor.StartAsync(
            [
                Shell("metrics-dev", Spec("m", RestartPolicy.Always), "exit 0"),
                new ModuleLaunch("metrics-dev", Spec("nobuild", RestartPolicy.Always), "/nonexistent/metrics/NoBuild.csproj", new Dictionary<string, string>()),
            ],
            CancellationToken.None);
        ModuleStatus backoff = await h.WaitForAsync("metrics-dev/m", s => s.State == ModuleState.Backoff);
        h.Clock.Advance(backoff.NextRestartAt!.Value - backoff.Since);
        await h.WaitForAsync("metrics-dev/m", s => s.RestartCount == 1);
        await h.WaitForAsync("metrics-dev/nobuild", s => s.State == ModuleState.Failed);

        Assert.Contains(measurements, m => m.Instrument == "edge_ctl_module_restarts_total" && m.Module == "metrics-dev/m" && m.Value == 1);
        Assert.Contains(measurements, m => m.Instrument == "edge_ctl_module_builds_failed_total");
    }
}
