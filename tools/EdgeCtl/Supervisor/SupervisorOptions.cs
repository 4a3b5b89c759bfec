namespace EdgeCtl.Supervisor;

/// <summary>Settings of <see cref="ModuleSupervisor"/>. The restart defaults are edgeAgent's (appsettings_agent.json, RestartPolicyManager).</summary>
public sealed class SupervisorOptions
{
    /// <summary>The state folder: builds go to <c>build/&lt;project&gt;</c>, logs to <c>logs/&lt;device&gt;/&lt;module&gt;.log</c>.</summary>
    public required string StateDirectory { get; init; }

    /// <summary>How long a module may take to exit after SIGTERM before its process tree is killed (docker stop's default is 10 s).</summary>
    public TimeSpan StopTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Time between two health checks of a running module.</summary>
    public TimeSpan HealthInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Time after a start before the first health check.</summary>
    public TimeSpan HealthGracePeriod { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long one health request may take.</summary>
    public TimeSpan HealthRequestTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Consecutive failed health checks after which a module is unhealthy.</summary>
    public int HealthFailureThreshold { get; init; } = 3;

    /// <summary>edgeAgent <c>CoolOffTimeUnitInSeconds</c> (default 10): the cool-off before restart n is this unit times 2^n.</summary>
    public TimeSpan CoolOffTimeUnit { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>edgeAgent <c>MaxCoolOffPeriodSecs</c> (300, a constant there): the cap of the cool-off.</summary>
    public TimeSpan MaxCoolOffPeriod { get; init; } = TimeSpan.FromSeconds(300);

    /// <summary>edgeAgent <c>MaxRestartCount</c> (default 20): a module that needs a restart when its count reached this is Failed for good.</summary>
    public int MaxRestartCount { get; init; } = 20;

    /// <summary>edgeAgent <c>IntensiveCareTimeInMinutes</c> (default 10): a module up for longer gets its restart count cleared.</summary>
    public TimeSpan IntensiveCareTime { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>The dotnet host used to build projects and run their assemblies.</summary>
    public string DotnetPath { get; init; } = "dotnet";

    /// <summary>Where module output lines go (module key <c>device/module</c>, line, from stderr); when null they are logged through the logger.</summary>
    public Action<string, string, bool>? Console { get; init; }

    /// <summary>Throws when a value is out of range, naming every problem.</summary>
    public void Validate()
    {
        List<string> problems = [];
        if (string.IsNullOrWhiteSpace(StateDirectory)) problems.Add("StateDirectory is required.");
        if (StopTimeout < TimeSpan.Zero) problems.Add("StopTimeout must not be negative.");
        if (HealthInterval <= TimeSpan.Zero) problems.Add("HealthInterval must be positive.");
        if (HealthGracePeriod < TimeSpan.Zero) problems.Add("HealthGracePeriod must not be negative.");
        if (HealthRequestTimeout <= TimeSpan.Zero) problems.Add("HealthRequestTimeout must be positive.");
        if (HealthFailureThreshold < 1) problems.Add("HealthFailureThreshold must be at least 1.");
        if (CoolOffTimeUnit < TimeSpan.Zero) problems.Add("CoolOffTimeUnit must not be negative.");
        if (MaxCoolOffPeriod < TimeSpan.Zero) problems.Add("MaxCoolOffPeriod must not be negative.");
        if (MaxRestartCount < 1) problems.Add("MaxRestartCount must be at least 1 (as in edgeAgent).");
        if (problems.Count > 0) throw new ArgumentException("Invalid supervisor options: " + string.Join(" ", problems));
    }
}
