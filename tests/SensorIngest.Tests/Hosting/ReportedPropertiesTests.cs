using System.Text.Json.Nodes;
using SensorIngest.Configuration;
using SensorIngest.Hosting;
using SensorIngest.Polling;

namespace SensorIngest.Tests.Hosting;

[Trait("Category", "Unit")]
public class ReportedPropertiesTests
{
    [Fact]
    public void Build_ReportsConfigurationHealthAndRemovesSlavesThatLeft()
    {
        IngestConfiguration config = DefaultConfiguration.FromEndpoint("127.0.0.1:15502")!;
        var health = new List<SlaveHealth> { new("pump1", true, "slave returned exception 04", new DateTimeOffset(2026, 11, 25, 8, 0, 0, TimeSpan.Zero), 1.23456, 2, 10, 1) };

        JsonObject patch = ReportedProperties.Build(config, null, health, new HashSet<string> { "old_slave" }, null);

        Assert.Equal("default", (string?)patch["configuration"]!["schema"]);
        Assert.Equal("127.0.0.1:15502", (string?)patch["configuration"]!["slaves"]!["pump1"]!["endpoint"]);
        Assert.Equal(1, (int)patch["configuration"]!["slaves"]!["pump1"]!["requestsPerCycle"]!);
        JsonObject pump = patch["slaves"]!["pump1"]!.AsObject();
        Assert.True((bool)pump["connected"]!);
        Assert.Equal(2, (long)pump["errorCount"]!);
        Assert.Equal(1.235, (double)pump["pollLatencyMs"]!);
        Assert.Equal("slave returned exception 04", (string?)pump["lastError"]);
        Assert.True(patch["slaves"]!.AsObject().ContainsKey("old_slave"));
        Assert.Null(patch["slaves"]!["old_slave"]);
        Assert.True(patch.ContainsKey("configurationError"));
        Assert.Null(patch["configurationError"]);
    }

    [Fact]
    public void Build_Rejected_ListsEveryProblem()
    {
        JsonObject patch = ReportedProperties.Build(null, ["a is wrong", "b is wrong"], [], new HashSet<string>(), null);

        Assert.Equal(["a is wrong", "b is wrong"], patch["configurationError"]!.AsArray().Select(n => (string?)n));
    }

    [Theory]
    [InlineData("Slave01.Op01", "Slave01_Op01")]
    [InlineData("pump 1$#", "pump_1__")]
    [InlineData("pump1", "pump1")]
    public void Key_ReplacesCharactersTwinsRefuse(string name, string key) => Assert.Equal(key, ReportedProperties.Key(name));

    [Fact]
    public void CreateMessage_SetsContentTypeEncodingAndProperties()
    {
        EdgeKit.Message m = HubTelemetrySink.CreateMessage("modbus://pump1", "{}"u8.ToArray());

        Assert.Equal(("application/json", "utf-8"), (m.ContentType, m.ContentEncoding));
        Assert.Equal("telemetry/1", m.Properties["schema"]);
        Assert.Equal("modbus://pump1", m.Properties["source"]);
    }
}
