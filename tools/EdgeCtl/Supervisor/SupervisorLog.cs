using Microsoft.Extensions.Logging;

namespace EdgeCtl.Supervisor;

/// <summary>Log events of the supervisor; ids 7100-7199 are this area's block.</summary>
internal static partial class SupervisorLog
{
    private const int Base = 7100;

    [LoggerMessage(Base + 1, LogLevel.Information, "Building {Project} for {ModuleKey}")]
    public static partial void Building(ILogger logger, string project, string moduleKey);

    [LoggerMessage(Base + 2, LogLevel.Information, "Built {Project} into {Assembly}")]
    public static partial void Built(ILogger logger, string project, string assembly);

    [LoggerMessage(Base + 3, LogLevel.Error, "Build of {Project} failed for {ModuleKey}: {Error}")]
    public static partial void BuildFailed(ILogger logger, string project, string moduleKey, string error);

    [LoggerMessage(Base + 4, LogLevel.Information, "Starting {ModuleKey}: {Command}")]
    public static partial void Starting(ILogger logger, string moduleKey, string command);

    [LoggerMessage(Base + 5, LogLevel.Information, "Started {ModuleKey} (pid {Pid})")]
    public static partial void Started(ILogger logger, string moduleKey, int pid);

    [LoggerMessage(Base + 6, LogLevel.Error, "Cannot start {ModuleKey}: {Error}")]
    public static partial void StartFailed(ILogger logger, string moduleKey, string error);

    [LoggerMessage(Base + 7, LogLevel.Warning, "{ModuleKey} exited with code {ExitCode} (policy {Policy})")]
    public static partial void Exited(ILogger logger, string moduleKey, int exitCode, string policy);

    [LoggerMessage(Base + 8, LogLevel.Information, "{ModuleKey} restarts in {Delay} (restart count {RestartCount})")]
    public static partial void RestartScheduled(ILogger logger, string moduleKey, TimeSpan delay, int restartCount);

    [LoggerMessage(Base + 9, LogLevel.Error, "{ModuleKey} failed: {Error}")]
    public static partial void Failed(ILogger logger, string moduleKey, string error);

    [LoggerMessage(Base + 10, LogLevel.Warning, "{ModuleKey} is unhealthy after {Failures} failed health checks on port {Port}")]
    public static partial void Unhealthy(ILogger logger, string moduleKey, int failures, int port);

    [LoggerMessage(Base + 11, LogLevel.Information, "Stopping {ModuleKey} (pid {Pid})")]
    public static partial void Stopping(ILogger logger, string moduleKey, int pid);

    [LoggerMessage(Base + 12, LogLevel.Warning, "{ModuleKey} did not exit within {Timeout} after SIGTERM; killing its process tree")]
    public static partial void StopTimedOut(ILogger logger, string moduleKey, TimeSpan timeout);

    [LoggerMessage(Base + 13, LogLevel.Warning, "{ModuleKey}: EdgeKit__MetricsPort {Port} is already in use; its health endpoint will not start")]
    public static partial void MetricsPortInUse(ILogger logger, string moduleKey, int port);

    [LoggerMessage(Base + 14, LogLevel.Error, "Supervisor loop of {ModuleKey} failed: {Error}")]
    public static partial void LoopFailed(ILogger logger, string moduleKey, string error, Exception exception);

    [LoggerMessage(Base + 15, LogLevel.Information, "{ModuleKey} has desired status stopped; not started")]
    public static partial void NotStarted(ILogger logger, string moduleKey);

    [LoggerMessage(Base + 16, LogLevel.Information, "{Line}")]
    public static partial void ModuleOutput(ILogger logger, string line);

    [LoggerMessage(Base + 17, LogLevel.Warning, "{Line}")]
    public static partial void ModuleError(ILogger logger, string line);
}
