using EdgeCtl.Manifest;

namespace EdgeCtl.Supervisor;

/// <summary>
/// edgeAgent's restart decisions, reproduced for local processes (Azure/iotedge
/// edge-agent/src/Microsoft.Azure.Devices.Edge.Agent.Core/RestartPolicyManager.cs and planners/HealthRestartPlanner.cs).
/// </summary>
public static class RestartRules
{
    /// <summary>Whether an ended (or unhealthy) module is restarted under <paramref name="policy"/>.</summary>
    /// <param name="policy">The module's policy.</param>
    /// <param name="exitCode">The exit code of the process.</param>
    /// <param name="unhealthy">The supervisor ended it because its health checks failed.</param>
    public static bool ShouldRestart(RestartPolicy policy, int exitCode, bool unhealthy) => policy switch
    {
        RestartPolicy.Always => true,
        RestartPolicy.OnUnhealthy => unhealthy || exitCode != 0,
        RestartPolicy.OnFailure => exitCode != 0,
        _ => false,
    };

    /// <summary>Whether failing health checks end the process (policies on-unhealthy and always).</summary>
    public static bool RestartsWhenUnhealthy(RestartPolicy policy) => policy is RestartPolicy.OnUnhealthy or RestartPolicy.Always;

    /// <summary>
    /// edgeAgent's <c>GetCoolOffPeriod</c>: <c>min(coolOffTimeUnit * 2^restartCount, MaxCoolOffPeriodSecs)</c>,
    /// where restartCount is the number of restarts before this one (first restart: one unit).
    /// </summary>
    public static TimeSpan CoolOffPeriod(int restartCount, TimeSpan coolOffTimeUnit, TimeSpan maxCoolOffPeriod)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(restartCount);
        double seconds = Math.Min(coolOffTimeUnit.TotalSeconds * Math.Pow(2, restartCount), maxCoolOffPeriod.TotalSeconds);
        return TimeSpan.FromSeconds(seconds);
    }

    /// <summary>
    /// edgeAgent clears restartCount of a module that has been up for more than IntensiveCareTime
    /// (HealthRestartPlanner.ResetStatsForHealthyModulesAsync).
    /// </summary>
    public static bool ClearsRestartCount(TimeSpan uptime, TimeSpan intensiveCareTime) => uptime > intensiveCareTime;
}
