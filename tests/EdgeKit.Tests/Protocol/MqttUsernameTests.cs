using EdgeKit.Protocol;

namespace EdgeKit.Tests.Protocol;

[Trait("Category", "Unit")]
public class MqttUsernameTests
{
    [Fact]
    public void BuildThenParse_RoundTripsModuleUsername()
    {
        string username = MqttUsername.Build("hub.azure-devices.net", "dev1", "mod1", "EdgeKit/1.0 (.NET 10)");
        Assert.Equal("hub.azure-devices.net/dev1/mod1/?api-version=2020-09-30&DeviceClientType=EdgeKit%2F1.0%20%28.NET%2010%29", username);
        Assert.True(MqttUsername.TryParse(username, out MqttUsername parsed, out string? error), error);
        Assert.Equal(new MqttUsername("hub.azure-devices.net", "dev1", "mod1", "2020-09-30", "EdgeKit/1.0 (.NET 10)"), parsed);
    }

    [Fact]
    public void TryParse_DeviceUsernameWithoutModule()
    {
        Assert.True(MqttUsername.TryParse("hub/dev1/?api-version=2018-06-30", out MqttUsername parsed, out _));
        Assert.Null(parsed.ModuleId);
        Assert.Equal("2018-06-30", parsed.ApiVersion);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("hub")]
    [InlineData("hub//mod/?a=1")]
    [InlineData("hub/d/m/x/?a=1")]
    [InlineData("hub/d/m/?a=%zz")]
    public void TryParse_Invalid_ReturnsFalse(string? username)
    {
        Assert.False(MqttUsername.TryParse(username, out _, out string? error));
        Assert.False(string.IsNullOrEmpty(error));
    }
}
