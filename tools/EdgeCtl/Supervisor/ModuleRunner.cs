using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using EdgeCtl.Manifest;
using Microsoft.Extensions.Logging;

namespace EdgeCtl.Supervisor;

/// <summary>One module's loop: build, start, watch (exit and health), apply the restart policy, stop.</summary>
internal sealed class ModuleRunner : IDisposable
{
    private const string MetricsPortVariable = "EdgeKit__MetricsPort";

    private readonly ModuleLaunch _launch;
    private readonly SupervisorOptions _options;
    private readonly ILogger _logger;
    private readonly ILogger _outputLogger;
    private readonly TimeProvider _time;
    private readonly ModuleBuilder _builder;
    private readonly HealthProbe _probe;
    private readonly SupervisorMetrics _metrics;
    private readonly Action<ModuleStatus> _changed;
    private readonly ModuleLogFile _log;
    private readonly Lock _lock = new();
    private readonly TaskCompletionSource _firstStart = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Queue<string> _lastErrorLines = new();
    private ModuleStatus _status;

    public ModuleRunner(
        ModuleLaunch launch,
        SupervisorOptions options,
        ILoggerFactory loggerFactory,
        TimeProvider time,
        ModuleBuilder builder,
        HealthProbe probe,
        SupervisorMetrics metrics,
        Action<ModuleStatus> changed)
    {
        _launch = launch;
        _options = options;
        _logger = loggerFactory.CreateLogger("EdgeCtl.Supervisor");
        _outputLogger = loggerFactory.CreateLogger("EdgeCtl.Supervisor.Modules");
        _time = time;
        _builder = builder;
        _probe = probe;
        _metrics = metrics;
        _changed = changed;
        _log = new ModuleLogFile(options.StateDirectory, launch.DeviceId, launch.Spec.Name, time);
        _status = new ModuleStatus(launch.DeviceId, launch.Spec.Name, ModuleState.Pending, 0, null, null, _log.OpenError, time.GetUtcNow(), null);
    }

    public string Key => _launch.Key;

    public ModuleLaunch Launch => _launch;

    /// <summary>Completes once the first process started, or the module could not start (build or start failure), or was stopped.</summary>
    public Task FirstStart => _firstStart.Task;

    public ModuleStatus Status
    {
        get
        {
            lock (_lock) return _status;
        }
    }

    public void MarkNotStarted()
    {
        SupervisorLog.NotStarted(_logger, Key);
        Update(s => s with { State = ModuleState.Stopped, Since = _time.GetUtcNow() });
        _firstStart.TrySetResult();
    }

    /// <summary>The loop; never throws (a failure becomes the Failed state).</summary>
    public async Task RunAsync(CancellationToken stopping)
    {
        try
        {
            (string file, IReadOnlyList<string> args, string workDir)? command = await ResolveCommandAsync(stopping).ConfigureAwait(false);
            if (command is null) return;

            while (true)
            {
                stopping.ThrowIfCancellationRequested();
                (int exitCode, bool unhealthy, TimeSpan uptime, string reason) = await RunOnceAsync(command.Value.file, command.Value.args, command.Value.workDir, stopping).ConfigureAwait(false);
                RestartPolicy policy = _launch.Spec.RestartPolicy;
                SupervisorLog.Exited(_logger, Key, exitCode, policy.ToString());
                Write($"edgectl: {reason}", isError: exitCode != 0 || unhealthy);

                int restartCount = Status.RestartCount;
                if (RestartRules.ClearsRestartCount(uptime, _options.IntensiveCareTime))
                {
                    restartCount = 0;
                }

                if (!RestartRules.ShouldRestart(policy, exitCode, unhealthy))
                {
                    ModuleState final = exitCode == 0 && !unhealthy ? ModuleState.Exited : ModuleState.Failed;
                    if (final == ModuleState.Failed) SupervisorLog.Failed(_logger, Key, reason);
                    Update(s => s with { State = final, RestartCount = restartCount, ProcessId = null, LastExitCode = exitCode, LastError = exitCode == 0 && !unhealthy ? s.LastError : reason, Since = _time.GetUtcNow(), NextRestartAt = null });
                    return;
                }

                if (restartCount >= _options.MaxRestartCount)
                {
                    string error = $"{reason}; not restarted: the restart count reached MaxRestartCount {_options.MaxRestartCount}";
                    SupervisorLog.Failed(_logger, Key, error);
                    Write($"edgectl: {error}", isError: true);
                    Update(s => s with { State = ModuleState.Failed, RestartCount = restartCount, ProcessId = null, LastExitCode = exitCode, LastError = error, Since = _time.GetUtcNow(), NextRestartAt = null });
                    return;
                }

                TimeSpan delay = RestartRules.CoolOffPeriod(restartCount, _options.CoolOffTimeUnit, _options.MaxCoolOffPeriod);

                // The timer exists before Backoff is published, so a test that advances its clock on Backoff cannot miss it.
                Task wait = Task.Delay(delay, _time, stopping);
                DateTimeOffset now = _time.GetUtcNow();
                SupervisorLog.RestartScheduled(_logger, Key, delay, restartCount);
                Update(s => s with { State = ModuleState.Backoff, RestartCount = restartCount, ProcessId = null, LastExitCode = exitCode, LastError = exitCode == 0 && !unhealthy ? s.LastError : reason, Since = now, NextRestartAt = now + delay });
                await wait.ConfigureAwait(false);
                _metrics.Restarted(Key);
                Update(s => s with { State = ModuleState.Starting, RestartCount = restartCount + 1, Since = _time.GetUtcNow(), NextRestartAt = null });
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            Update(s => s.State is ModuleState.Failed or ModuleState.Exited or ModuleState.Stopped
                ? s
                : s with { State = ModuleState.Stopped, ProcessId = null, Since = _time.GetUtcNow(), NextRestartAt = null });
        }
        catch (Exception ex)
        {
            SupervisorLog.LoopFailed(_logger, Key, ex.Message, ex);
            Write($"edgectl: supervisor error: {ex.Message}", isError: true);
            Update(s => s with { State = ModuleState.Failed, ProcessId = null, LastError = $"supervisor error: {ex.Message}", Since = _time.GetUtcNow(), NextRestartAt = null });
        }
        finally
        {
            _firstStart.TrySetResult();
        }
    }

    private async Task<(string, IReadOnlyList<string>, string)?> ResolveCommandAsync(CancellationToken stopping)
    {
        if (_launch.Command is { } cmd)
        {
            return (cmd, _launch.Arguments, _launch.WorkingDirectory ?? Environment.CurrentDirectory);
        }

        if (_launch.ProjectPath is not { } project)
        {
            FailWithoutStart($"module {_launch.Spec.Name} has neither a project (.csproj in {_launch.Spec.ModuleFolder ?? "its folder"}) nor a command");
            return null;
        }

        Update(s => s with { State = ModuleState.Building, Since = _time.GetUtcNow() });
        Write($"edgectl: building {project}", isError: false);
        BuildResult build = await _builder.BuildAsync(project, Key, stopping).ConfigureAwait(false);
        if (!build.Succeeded)
        {
            FailWithoutStart(build.Error!);
            return null;
        }

        string workDir = _launch.WorkingDirectory ?? Path.GetDirectoryName(Path.GetFullPath(project))!;
        return (_options.DotnetPath, [build.AssemblyPath!], workDir);
    }

    private void FailWithoutStart(string error)
    {
        SupervisorLog.Failed(_logger, Key, error);
        foreach (string line in error.Split('\n')) Write($"edgectl: {line.TrimEnd('\r')}", isError: true);
        Update(s => s with { State = ModuleState.Failed, LastError = error, Since = _time.GetUtcNow() });
        _firstStart.TrySetResult();
    }

    private async Task<(int ExitCode, bool Unhealthy, TimeSpan Uptime, string Reason)> RunOnceAsync(string file, IReadOnlyList<string> args, string workDir, CancellationToken stopping)
    {
        Update(s => s with { State = ModuleState.Starting, Since = _time.GetUtcNow(), NextRestartAt = null });
        int port = MetricsPort(out string? portWarning);
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
            WorkingDirectory = workDir,
        };
        foreach (string arg in args) psi.ArgumentList.Add(arg);
        foreach ((string name, string value) in _launch.Environment) psi.Environment[name] = value;
        psi.Environment[MetricsPortVariable] = port.ToString(CultureInfo.InvariantCulture);

        lock (_lastErrorLines) _lastErrorLines.Clear();
        using var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) Write(e.Data, isError: false); };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (_lastErrorLines)
            {
                _lastErrorLines.Enqueue(e.Data);
                if (_lastErrorLines.Count > 3) _lastErrorLines.Dequeue();
            }

            Write(e.Data, isError: true);
        };

        string commandText = file + (args.Count > 0 ? " " + string.Join(' ', args) : string.Empty);
        SupervisorLog.Starting(_logger, Key, commandText);
        try
        {
            if (!Directory.Exists(workDir)) throw new DirectoryNotFoundException($"working directory not found: {workDir}");
            process.Start();
        }
        catch (Exception ex) when (ex is Win32Exception or DirectoryNotFoundException or InvalidOperationException)
        {
            string error = $"cannot start '{commandText}': {ex.Message}";
            SupervisorLog.StartFailed(_logger, Key, error);
            _firstStart.TrySetResult();

            // edgeAgent sees a container that cannot start as Failed; here it is a failure exit (code -1) under the policy.
            return (-1, false, TimeSpan.Zero, error);
        }

        int pid = process.Id;
        DateTimeOffset startedAt = _time.GetUtcNow();
        SupervisorLog.Started(_logger, Key, pid);
        Update(s => s with { State = ModuleState.Running, ProcessId = pid, LastError = portWarning ?? s.LastError, Since = startedAt });
        _firstStart.TrySetResult();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        // The health watch has its own token: a stop must be seen as a stop, not as a cancelled health task.
        using var watch = new CancellationTokenSource();
        Task exited = process.WaitForExitAsync(CancellationToken.None);
        Task<bool> unhealthyTask = WatchHealthAsync(port, watch.Token);
        Task clearCount = ClearRestartCountWhenStableAsync(watch.Token);
        var stopRequested = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using CancellationTokenRegistration reg = stopping.Register(() => stopRequested.TrySetResult());

        bool unhealthy = false;
        List<Task> waitingFor = [exited, unhealthyTask, stopRequested.Task];
        while (true)
        {
            Task first = await Task.WhenAny(waitingFor).ConfigureAwait(false);
            if (first == stopRequested.Task)
            {
                await StopProcessAsync(process, pid).ConfigureAwait(false);
                await watch.CancelAsync().ConfigureAwait(false);
                await IgnoreCancellation(unhealthyTask).ConfigureAwait(false);
                await clearCount.ConfigureAwait(false);
                stopping.ThrowIfCancellationRequested();
            }

            if (first == unhealthyTask)
            {
                if (unhealthyTask.IsCompletedSuccessfully && unhealthyTask.Result)
                {
                    unhealthy = true;
                    await StopProcessAsync(process, pid).ConfigureAwait(false);
                    break;
                }

                if (unhealthyTask.IsFaulted) SupervisorLog.LoopFailed(_logger, Key, unhealthyTask.Exception.GetBaseException().Message, unhealthyTask.Exception);
                waitingFor.Remove(unhealthyTask);
                continue;
            }

            break;
        }

        await exited.ConfigureAwait(false);
        await watch.CancelAsync().ConfigureAwait(false);
        await IgnoreCancellation(unhealthyTask).ConfigureAwait(false);
        await clearCount.ConfigureAwait(false);

        int code = process.ExitCode;
        TimeSpan uptime = _time.GetUtcNow() - startedAt;
        string reason;
        if (unhealthy)
        {
            reason = $"unhealthy: {_options.HealthFailureThreshold} consecutive health checks of http://127.0.0.1:{port}/health/live failed; stopped (exit code {code})";
        }
        else
        {
            string? lastErr;
            lock (_lastErrorLines) lastErr = _lastErrorLines.Count > 0 ? string.Join(" | ", _lastErrorLines) : null;
            reason = $"process {pid} exited with code {code}" + (code != 0 && lastErr is not null ? $"; last stderr: {lastErr}" : string.Empty);
        }

        return (code, unhealthy, uptime, reason);
    }

    /// <summary>edgeAgent clears the restart count of a module that stayed up for IntensiveCareTime; the status shows it at once.</summary>
    private async Task ClearRestartCountWhenStableAsync(CancellationToken ct)
    {
        try
        {
            await Task.Delay(_options.IntensiveCareTime, _time, ct).ConfigureAwait(false);
            Update(s => s.State is ModuleState.Running or ModuleState.Unhealthy && s.RestartCount > 0 ? s with { RestartCount = 0 } : s);
        }
        catch (OperationCanceledException)
        {
            // The process ended first.
        }
    }

    private async Task StopProcessAsync(Process process, int pid)
    {
        SupervisorLog.Stopping(_logger, Key, pid);
        bool graceful = await ProcessControl.StopAsync(process, _options.StopTimeout, _time).ConfigureAwait(false);
        if (!graceful) SupervisorLog.StopTimedOut(_logger, Key, _options.StopTimeout);
    }

    private static async Task IgnoreCancellation(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The watch ended with the process.
        }
    }

    /// <summary>
    /// Polls /health/live after the grace period. Returns true when the module became unhealthy and its policy restarts it;
    /// otherwise it only reports Unhealthy/Running and runs until cancelled.
    /// </summary>
    private async Task<bool> WatchHealthAsync(int port, CancellationToken ct)
    {
        await Task.Delay(_options.HealthGracePeriod, _time, ct).ConfigureAwait(false);
        bool answered = false;
        int failures = 0;
        while (true)
        {
            HealthResult result = await _probe.CheckAsync(port, ct).ConfigureAwait(false);
            if (result == HealthResult.Healthy)
            {
                answered = true;
                failures = 0;
                Update(s => s.State == ModuleState.Unhealthy ? s with { State = ModuleState.Running, Since = _time.GetUtcNow() } : s);
            }
            else if (result == HealthResult.Refused && !answered)
            {
                // Never answered: the module has no health endpoint, which counts as healthy.
                failures = 0;
            }
            else
            {
                failures++;
                if (failures >= _options.HealthFailureThreshold)
                {
                    SupervisorLog.Unhealthy(_logger, Key, failures, port);
                    if (RestartRules.RestartsWhenUnhealthy(_launch.Spec.RestartPolicy))
                    {
                        return true;
                    }

                    Update(s => s.State == ModuleState.Running
                        ? s with { State = ModuleState.Unhealthy, LastError = $"{failures} consecutive health checks of port {port} failed", Since = _time.GetUtcNow() }
                        : s);
                }
            }

            await Task.Delay(_options.HealthInterval, _time, ct).ConfigureAwait(false);
        }
    }

    private int MetricsPort(out string? warning)
    {
        warning = null;
        if (_launch.Environment.TryGetValue(MetricsPortVariable, out string? text)
            && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int port) && port is > 0 and <= 65535)
        {
            if (!HealthProbe.IsFree(port))
            {
                SupervisorLog.MetricsPortInUse(_logger, Key, port);
                warning = $"{MetricsPortVariable} {port} is already in use by another process";
                Write($"edgectl: {warning}", isError: true);
            }

            return port;
        }

        return HealthProbe.FreePort();
    }

    private void Write(string line, bool isError)
    {
        string prefixed = _log.Write(line, isError);
        try
        {
            if (_options.Console is { } console)
            {
                console(Key, prefixed, isError);
            }
            else if (isError)
            {
                SupervisorLog.ModuleError(_outputLogger, prefixed);
            }
            else
            {
                SupervisorLog.ModuleOutput(_outputLogger, prefixed);
            }
        }
        catch (Exception ex)
        {
            // A throwing console callback must not stop reading the module's output.
            SupervisorLog.LoopFailed(_logger, Key, ex.Message, ex);
        }
    }

    private void Update(Func<ModuleStatus, ModuleStatus> change)
    {
        ModuleStatus before;
        ModuleStatus after;
        lock (_lock)
        {
            before = _status;
            after = change(before);
            _status = after;
        }

        if (!Equals(before, after)) _changed(after);
    }

    public void Dispose() => _log.Dispose();
}
