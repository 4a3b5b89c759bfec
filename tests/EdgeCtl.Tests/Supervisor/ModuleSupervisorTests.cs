using EdgeCtl.Manifest;
using EdgeCtl.Supervisor;
using static EdgeCtl.Tests.Supervisor.SupervisorHarness;

namespace EdgeCtl.Tests.Supervisor;

[Trait("Category", "Integration")]
public class ModuleSupervisorTests
{
    private static readonly TimeSpan Unit = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Never_WhenProcessExitsWithCode3_IsFailedAndNotRestarted()
    {
        await using var h = new SupervisorHarness();
        await h.Supervisor.StartAsync([Shell("dev1", Spec("m", RestartPolicy.Never), "exit 3")], CancellationToken.None);

        ModuleStatus failed = await h.WaitForAsync("dev1/m", s => s.State == ModuleState.Failed);
        h.Clock.Advance(TimeSpan.FromHours(1));
        await Task.Delay(200);

        Assert.Equal(3, failed.LastExitCode);
        Assert.Contains("exited with code 3", failed.LastError);
        Assert.DoesNotContain(h.History, s => s.State == ModuleState.Backoff);
        Assert.Equal(1, h.History.Count(s => s.State == ModuleState.Running));
        Assert.Equal(ModuleState.Failed, h.Supervisor.Snapshot().Single().State);
    }

    [Fact]
    public async Task OnFailure_WhenProcessExitsWithCode3_RestartsAfterTheCoolOff()
    {
        await using var h = new SupervisorHarness();
        await h.Supervisor.StartAsync([Shell("dev1", Spec("m", RestartPolicy.OnFailure), "exit 3")], CancellationToken.None);

        ModuleStatus backoff = await h.WaitForAsync("dev1/m", s => s.State == ModuleState.Backoff);
        Assert.Equal(0, backoff.RestartCount);
        Assert.Equal(3, backoff.LastExitCode);
        Assert.Equal(backoff.Since + Unit, backoff.NextRestartAt);

        int mark = h.Mark();
        h.Clock.Advance(Unit - TimeSpan.FromSeconds(1));
        await Task.Delay(200);
        Assert.DoesNotContain(h.History.Skip(mark), s => s.State == ModuleState.Running);

        h.Clock.Advance(TimeSpan.FromSeconds(1));
        ModuleStatus restarted = await h.WaitForAsync("dev1/m", s => s.State == ModuleState.Running, mark);
        Assert.Equal(1, restarted.RestartCount);
    }

    [Fact]
    public async Task OnFailure_WhenProcessExitsWithCode0_IsExitedAndNotRestarted()
    {
        await using var h = new SupervisorHarness();
        await h.Supervisor.StartAsync([Shell("dev1", Spec("m", RestartPolicy.OnFailure), "exit 0")], CancellationToken.None);

        ModuleStatus exited = await h.WaitForAsync("dev1/m", s => s.State == ModuleState.Exited);
        Assert.Equal(0, exited.LastExitCode);
        Assert.DoesNotContain(h.History, s => s.State == ModuleState.Backoff);
    }

    [Fact]
    public async Task Always_WhenProcessExitsWithCode0_Restarts()
    {
        await using var h = new SupervisorHarness();
        await h.Supervisor.StartAsync([Shell("dev1", Spec("m", RestartPolicy.Always), "exit 0")], CancellationToken.None);

        ModuleStatus backoff = await h.WaitForAsync("dev1/m", s => s.State == ModuleState.Backoff);
        Assert.Equal(0, backoff.LastExitCode);
        int mark = h.Mark();
        h.Clock.Advance(Unit);
        await h.WaitForAsync("dev1/m", s => s.State == ModuleState.Running && s.RestartCount == 1, mark);
    }

    [Fact]
    public async Task Backoff_GrowsAsEdgeAgentsCoolOff_AndResetsAfterIntensiveCareTime()
    {
        await using var h = new SupervisorHarness();
        string marker = Path.Combine(h.StateDirectory, "stay-up");

        // Fails at once, until the marker exists: then it stays up for 2 s of real time before failing.
        string script = $"if [ -f '{marker}' ]; then sleep 2; fi; exit 3";
        await h.Supervisor.StartAsync([Shell("dev1", Spec("m", RestartPolicy.OnFailure), script)], CancellationToken.None);

        var delays = new List<TimeSpan>();
        for (int restart = 0; restart < 4; restart++)
        {
            ModuleStatus backoff = await h.WaitForAsync("dev1/m", s => s.State == ModuleState.Backoff && s.RestartCount == restart);
            TimeSpan delay = backoff.NextRestartAt!.Value - backoff.Since;
            delays.Add(delay);
            h.Clock.Advance(delay);
        }

        Assert.Equal([Unit, Unit * 2, Unit * 4, Unit * 8], delays);

        // Up for longer than IntensiveCareTime (10 min by the clock) before failing again: the count is cleared.
        await File.WriteAllTextAsync(marker, "1");
        ModuleStatus backoff5 = await h.WaitForAsync("dev1/m", s => s.State == ModuleState.Backoff && s.RestartCount == 4);
        int mark = h.Mark();
        h.Clock.Advance(backoff5.NextRestartAt!.Value - backoff5.Since);
        await h.WaitForAsync("dev1/m", s => s.State == ModuleState.Running && s.RestartCount == 5, mark);
        h.Clock.Advance(TimeSpan.FromMinutes(11));
        await h.WaitForAsync("dev1/m", s => s.State == ModuleState.Running && s.RestartCount == 0, mark);

        ModuleStatus reset = await h.WaitForAsync("dev1/m", s => s.State == ModuleState.Backoff, mark);
        Assert.Equal(0, reset.RestartCount);
        Assert.Equal(Unit, reset.NextRestartAt!.Value - reset.Since);
    }

    [Fact]
    public async Task OnFailure_WhenRestartCountReachesMaxRestartCount_IsFailedForGood()
    {
        await using var h = new SupervisorHarness(o => new SupervisorOptions { StateDirectory = o.StateDirectory, Console = o.Console, MaxRestartCount = 2 });
        await h.Supervisor.StartAsync([Shell("dev1", Spec("m", RestartPolicy.OnFailure), "exit 4")], CancellationToken.None);

        for (int restart = 0; restart < 2; restart++)
        {
            ModuleStatus backoff = await h.WaitForAsync("dev1/m", s => s.State == ModuleState.Backoff && s.RestartCount == restart);
            h.Clock.Advance(backoff.NextRestartAt!.Value - backoff.Since);
        }

        ModuleStatus failed = await h.WaitForAsync("dev1/m", s => s.State == ModuleState.Failed);
        Assert.Equal(2, failed.RestartCount);
        Assert.Equal(4, failed.LastExitCode);
        Assert.Contains("MaxRestartCount 2", failed.LastError);
    }

    [Fact]
    public async Task StartAsync_StartsGroupsInStartupOrder_AndSkipsStoppedModules()
    {
        await using var h = new SupervisorHarness();
        ModuleLaunch late = Shell("dev1", Spec("late", RestartPolicy.Never, startupOrder: 2), "sleep 30");
        ModuleLaunch first = Shell("dev1", Spec("first", RestartPolicy.Never, startupOrder: 0), "sleep 30");
        ModuleLaunch middle = Shell("dev1", Spec("middle", RestartPolicy.Never, startupOrder: 1), "sleep 30");
        ModuleLaunch off = Shell("dev1", Spec("off", RestartPolicy.Always, startupOrder: 0, status: "stopped"), "sleep 30");

        await h.Supervisor.StartAsync([late, off, middle, first], CancellationToken.None);

        int firstRunning = h.IndexOf("dev1/first", s => s.State == ModuleState.Running);
        int middleStarting = h.IndexOf("dev1/middle", s => s.State == ModuleState.Starting);
        int middleRunning = h.IndexOf("dev1/middle", s => s.State == ModuleState.Running);
        int lateStarting = h.IndexOf("dev1/late", s => s.State == ModuleState.Starting);
        Assert.True(firstRunning >= 0 && middleStarting > firstRunning, "middle started before first ran");
        Assert.True(middleRunning >= 0 && lateStarting > middleRunning, "late started before middle ran");

        IReadOnlyList<ModuleStatus> snapshot = h.Supervisor.Snapshot();
        Assert.Equal(["dev1/first", "dev1/off", "dev1/middle", "dev1/late"], snapshot.Select(s => s.Key));
        ModuleStatus stopped = snapshot.Single(s => s.Module == "off");
        Assert.Equal(ModuleState.Stopped, stopped.State);
        Assert.Null(stopped.ProcessId);
        Assert.All(snapshot.Where(s => s.Module != "off"), s => Assert.Equal(ModuleState.Running, s.State));
    }

    [Fact]
    public async Task StopAsync_EndsEveryProcessAndItsChildren()
    {
        await using var h = new SupervisorHarness();
        await h.Supervisor.StartAsync(
            [
                Shell("dev1", Spec("a", RestartPolicy.Always), "echo hi; sleep 30"),
                Shell("dev2", Spec("a", RestartPolicy.Always), "echo hi; sleep 30 & wait"),
            ],
            CancellationToken.None);
        await h.WaitForAsync("dev1/a", s => s.State == ModuleState.Running);
        await h.WaitForAsync("dev2/a", s => s.State == ModuleState.Running);
        await WaitUntil(() => h.ConsoleLines.Count(l => l.Line.EndsWith("] hi", StringComparison.Ordinal)) == 2);

        List<int> pids = h.Supervisor.Snapshot().Select(s => s.ProcessId!.Value).ToList();
        await WaitUntil(() => pids.SelectMany(ProcessControl.Descendants).Any());
        List<int> all = [.. pids, .. pids.SelectMany(ProcessControl.Descendants)];

        await h.Supervisor.StopAsync(CancellationToken.None);

        Assert.All(all, pid => Assert.False(ProcessControl.IsAlive(pid), $"pid {pid} outlived StopAsync"));
        Assert.All(h.Supervisor.Snapshot(), s => Assert.Equal(ModuleState.Stopped, s.State));
        Assert.All(h.Supervisor.Snapshot(), s => Assert.Null(s.ProcessId));
        Assert.Contains("[dev1/a] hi", await File.ReadAllTextAsync(h.LogFile("dev1", "a")));
        Assert.Contains(h.ConsoleLines, l => l.Key == "dev2/a" && l.Line == "[dev2/a] hi" && !l.IsError);
    }

    [Fact]
    public async Task StopAsync_WhenModuleIgnoresSigterm_KillsItsTreeAfterStopTimeout()
    {
        await using var h = new SupervisorHarness(
            o => new SupervisorOptions { StateDirectory = o.StateDirectory, Console = o.Console, StopTimeout = TimeSpan.FromMilliseconds(500) },
            TimeProvider.System);
        await h.Supervisor.StartAsync([Shell("dev1", Spec("stubborn", RestartPolicy.Always), "trap '' TERM; echo ready; sleep 30; sleep 30")], CancellationToken.None);
        await WaitUntil(() => h.ConsoleLines.Any(l => l.Line == "[dev1/stubborn] ready"));
        int pid = h.Supervisor.Snapshot().Single().ProcessId!.Value;
        await WaitUntil(() => ProcessControl.Descendants(pid).Any());
        List<int> all = [pid, .. ProcessControl.Descendants(pid)];

        await h.Supervisor.StopAsync(CancellationToken.None);

        Assert.All(all, p => Assert.False(ProcessControl.IsAlive(p), $"pid {p} outlived StopAsync"));
        Assert.Equal(1, h.Logs.Count("StopTimedOut"));
    }

    [Fact]
    public async Task DisposeAsync_TwiceIsSafe()
    {
        var h = new SupervisorHarness();
        await h.Supervisor.StartAsync([Shell("dev1", Spec("m", RestartPolicy.Always), "sleep 30")], CancellationToken.None);
        await h.Supervisor.DisposeAsync();
        await h.DisposeAsync();
    }

    [Fact]
    public async Task MissingCommand_IsAStartFailureNamingTheModuleAndCause()
    {
        await using var h = new SupervisorHarness();
        await h.Supervisor.StartAsync(
            [
                ModuleLaunch.ForCommand("dev1", Spec("ghost", RestartPolicy.Never), "/nonexistent/bin/module", []),
                Shell("dev1", Spec("ok", RestartPolicy.Never, startupOrder: 1), "sleep 30"),
            ],
            CancellationToken.None);

        ModuleStatus failed = await h.WaitForAsync("dev1/ghost", s => s.State == ModuleState.Failed);
        Assert.Contains("cannot start '/nonexistent/bin/module'", failed.LastError);
        await h.WaitForAsync("dev1/ok", s => s.State == ModuleState.Running);
        Assert.Contains("cannot start", await File.ReadAllTextAsync(h.LogFile("dev1", "ghost")));
    }

    [Fact]
    public async Task MissingProjectFile_IsFailedWithTheCause()
    {
        await using var h = new SupervisorHarness();
        var launch = new ModuleLaunch("dev1", Spec("m", RestartPolicy.Always), "/nonexistent/Missing.csproj", new Dictionary<string, string>());
        await h.Supervisor.StartAsync([launch], CancellationToken.None);

        ModuleStatus failed = await h.WaitForAsync("dev1/m", s => s.State == ModuleState.Failed);
        Assert.Contains("project file not found: /nonexistent/Missing.csproj", failed.LastError);
    }

    [Fact]
    public async Task Environment_IsInheritedWithLaunchVariablesOnTop_AndGetsAMetricsPort()
    {
        await using var h = new SupervisorHarness();
        var env = new Dictionary<string, string> { ["IOTEDGE_MODULEID"] = "m", ["PATH"] = Environment.GetEnvironmentVariable("PATH")! };
        await h.Supervisor.StartAsync(
            [Shell("dev1", Spec("m", RestartPolicy.Never), "echo \"id=$IOTEDGE_MODULEID port=$EdgeKit__MetricsPort home=${HOME:+set}\"", env)],
            CancellationToken.None);
        await h.WaitForAsync("dev1/m", s => s.State == ModuleState.Exited);

        string line = h.ConsoleLines.Single(l => l.Line.Contains("id=", StringComparison.Ordinal)).Line;
        Assert.Matches(@"^\[dev1/m\] id=m port=\d+ home=set$", line);
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        DateTime deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("condition not met");
            await Task.Delay(20);
        }
    }
}
