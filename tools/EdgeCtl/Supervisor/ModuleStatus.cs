namespace EdgeCtl.Supervisor;

/// <summary>Where a supervised module is in its life (see docs/edgectl-supervisor.md).</summary>
public enum ModuleState
{
    /// <summary>Registered, not started yet (waiting for its startup order group).</summary>
    Pending,

    /// <summary>Its project is being built (or waits for another build).</summary>
    Building,

    /// <summary>The process is being started.</summary>
    Starting,

    /// <summary>The process runs (and is healthy or has no health endpoint).</summary>
    Running,

    /// <summary>The process runs but failed the last health checks and its policy does not restart it for that.</summary>
    Unhealthy,

    /// <summary>The process ended and waits for its cool-off before the restart.</summary>
    Backoff,

    /// <summary>Ended for good with an error: build failure, start failure, non-zero exit not restarted, or too many restarts.</summary>
    Failed,

    /// <summary>Desired status <c>stopped</c>, or stopped by the supervisor.</summary>
    Stopped,

    /// <summary>The process ended with code 0 and its policy does not restart it.</summary>
    Exited,
}

/// <summary>A module's status at one moment.</summary>
/// <param name="DeviceId">The device.</param>
/// <param name="Module">The module name.</param>
/// <param name="State">Its state.</param>
/// <param name="RestartCount">Restarts since the count was last cleared (edgeAgent's restartCount).</param>
/// <param name="ProcessId">The pid of the running process, else null.</param>
/// <param name="LastExitCode">The exit code of the last process, when one ended.</param>
/// <param name="LastError">Why it failed or what the last problem was (build errors, start errors, exit reason).</param>
/// <param name="Since">When it entered <paramref name="State"/>.</param>
/// <param name="NextRestartAt">In <see cref="ModuleState.Backoff"/>, when the restart is due.</param>
public sealed record ModuleStatus(
    string DeviceId,
    string Module,
    ModuleState State,
    int RestartCount,
    int? ProcessId,
    int? LastExitCode,
    string? LastError,
    DateTimeOffset Since,
    DateTimeOffset? NextRestartAt)
{
    /// <summary><c>device/module</c>.</summary>
    public string Key => $"{DeviceId}/{Module}";
}
