using EdgeCtl.Manifest;
using EdgeCtl.Supervisor;

namespace EdgeCtl.Tests.Supervisor;

[Trait("Category", "Unit")]
public class RestartRulesTests
{
    [Theory]
    [InlineData(RestartPolicy.Never, 3, false, false)]
    [InlineData(RestartPolicy.Never, 0, false, false)]
    [InlineData(RestartPolicy.Never, 0, true, false)]
    [InlineData(RestartPolicy.OnFailure, 3, false, true)]
    [InlineData(RestartPolicy.OnFailure, 0, false, false)]
    [InlineData(RestartPolicy.OnFailure, 0, true, false)]
    [InlineData(RestartPolicy.OnUnhealthy, 3, false, true)]
    [InlineData(RestartPolicy.OnUnhealthy, 0, false, false)]
    [InlineData(RestartPolicy.OnUnhealthy, 0, true, true)]
    [InlineData(RestartPolicy.Always, 0, false, true)]
    [InlineData(RestartPolicy.Always, 3, false, true)]
    [InlineData(RestartPolicy.Always, 0, true, true)]
    public void ShouldRestart_FollowsThePolicyTable(RestartPolicy policy, int exitCode, bool unhealthy, bool expected)
        => Assert.Equal(expected, RestartRules.ShouldRestart(policy, exitCode, unhealthy));

    [Theory]
    [InlineData(0, 10)]
    [InlineData(1, 20)]
    [InlineData(2, 40)]
    [InlineData(3, 80)]
    [InlineData(4, 160)]
    [InlineData(5, 300)]
    [InlineData(19, 300)]
    [InlineData(2000, 300)]
    public void CoolOffPeriod_IsUnitTimesTwoToTheRestartCount_CappedAtFiveMinutes(int restartCount, int expectedSeconds)
        => Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), RestartRules.CoolOffPeriod(restartCount, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(300)));

    [Fact]
    public void CoolOffPeriod_WithZeroUnit_IsZero()
        => Assert.Equal(TimeSpan.Zero, RestartRules.CoolOffPeriod(4, TimeSpan.Zero, TimeSpan.FromSeconds(300)));

    [Fact]
    public void ClearsRestartCount_OnlyAfterMoreThanIntensiveCareTime()
    {
        TimeSpan care = TimeSpan.FromMinutes(10);
        Assert.False(RestartRules.ClearsRestartCount(TimeSpan.FromMinutes(9), care));
        Assert.False(RestartRules.ClearsRestartCount(care, care));
        Assert.True(RestartRules.ClearsRestartCount(TimeSpan.FromMinutes(10.5), care));
    }

    [Fact]
    public void Defaults_AreEdgeAgents()
    {
        var options = new SupervisorOptions { StateDirectory = "/tmp/x" };
        Assert.Equal(TimeSpan.FromSeconds(10), options.CoolOffTimeUnit);
        Assert.Equal(TimeSpan.FromSeconds(300), options.MaxCoolOffPeriod);
        Assert.Equal(20, options.MaxRestartCount);
        Assert.Equal(TimeSpan.FromMinutes(10), options.IntensiveCareTime);
        Assert.Equal(TimeSpan.FromSeconds(10), options.StopTimeout);
        Assert.Equal(TimeSpan.FromSeconds(10), options.HealthInterval);
    }

    [Fact]
    public void Validate_ListsEveryProblem()
    {
        var options = new SupervisorOptions { StateDirectory = "", MaxRestartCount = 0, HealthFailureThreshold = 0 };
        ArgumentException ex = Assert.Throws<ArgumentException>(options.Validate);
        Assert.Contains("StateDirectory", ex.Message);
        Assert.Contains("MaxRestartCount", ex.Message);
        Assert.Contains("HealthFailureThreshold", ex.Message);
    }
}
