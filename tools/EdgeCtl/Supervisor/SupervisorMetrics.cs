using System.Diagnostics.Metrics;

namespace EdgeCtl.Supervisor;

/// <summary>The Meter "EdgeCtl.Supervisor".</summary>
internal sealed class SupervisorMetrics : IDisposable
{
    public const string MeterName = "EdgeCtl.Supervisor";

    private readonly Meter _meter = new(MeterName);
    private readonly Counter<long> _restarts;
    private readonly Counter<long> _buildsFailed;

    public SupervisorMetrics()
    {
        _restarts = _meter.CreateCounter<long>("edge_ctl_module_restarts_total", description: "Module restarts by the supervisor.");
        _buildsFailed = _meter.CreateCounter<long>("edge_ctl_module_builds_failed_total", description: "Module project builds that failed.");
    }

    public void Restarted(string moduleKey) => _restarts.Add(1, new KeyValuePair<string, object?>("module", moduleKey));

    public void BuildFailed() => _buildsFailed.Add(1);

    public void Dispose() => _meter.Dispose();
}
