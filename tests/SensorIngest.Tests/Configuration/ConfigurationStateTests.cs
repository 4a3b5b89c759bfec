using System.Text.Json.Nodes;
using SensorIngest.Configuration;

namespace SensorIngest.Tests.Configuration;

[Trait("Category", "Unit")]
public class ConfigurationStateTests
{
    private const string Good = """{"slaves":[{"name":"a","endpoint":"h:1502","points":[{"signal":"x","function":3,"address":0}]}]}""";

    [Fact]
    public void ApplyDesired_WithoutConfiguration_KeepsDefault()
    {
        IngestConfiguration fallback = DefaultConfiguration.FromEndpoint("127.0.0.1:15502")!;
        var state = new ConfigurationState(fallback);

        Assert.Equal(ApplyOutcome.Unchanged, state.ApplyDesired(JsonNode.Parse("""{"$version":1}""")!.AsObject()));
        Assert.Same(fallback, state.Current);
    }

    [Fact]
    public void ApplyPatch_Invalid_IsRejectedAndRunningConfigurationStays()
    {
        var state = new ConfigurationState(null);
        Assert.Equal(ApplyOutcome.Applied, state.ApplyDesired(JsonNode.Parse(Good)!.AsObject()));
        IngestConfiguration running = state.Current!;

        ApplyOutcome outcome = state.ApplyPatch(JsonNode.Parse("""{"slaves":[{"name":"a","endpoint":"h:0","unitId":999,"points":[]}]}""")!.AsObject());

        Assert.Equal(ApplyOutcome.Rejected, outcome);
        Assert.Same(running, state.Current);
        Assert.Equal(3, state.Error!.Count);
    }

    [Fact]
    public void ApplyPatch_FixAfterRejection_ClearsError()
    {
        var state = new ConfigurationState(null);
        state.ApplyDesired(JsonNode.Parse("""{"slaves":[{"name":"a"}]}""")!.AsObject());
        Assert.NotNull(state.Error);

        Assert.Equal(ApplyOutcome.Applied, state.ApplyPatch(JsonNode.Parse(Good)!.AsObject()));
        Assert.Null(state.Error);
        Assert.Equal("h", state.Current!.Slaves[0].Host);
    }

    [Fact]
    public void ApplyPatch_MergesObjectsAndNullRemoves()
    {
        var state = new ConfigurationState(null);
        state.ApplyDesired(JsonNode.Parse("""{"PublishInterval":"1000","SlaveConfigs":{"A":{"SlaveConnection":"h","Operations":{"O":{"StartAddress":"400001","DisplayName":"v"}}},"B":{"SlaveConnection":"h2","Operations":{"O":{"StartAddress":"300001"}}}}}""")!.AsObject());
        Assert.Equal(2, state.Current!.Slaves.Count);

        state.ApplyPatch(JsonNode.Parse("""{"SlaveConfigs":{"B":null,"A":{"TcpPort":"1502"}}}""")!.AsObject());

        SlaveConfiguration a = Assert.Single(state.Current!.Slaves);
        Assert.Equal(("A", "h", 1502), (a.Name, a.Host, a.Port));
    }

    [Fact]
    public void DefaultConfiguration_FromEndpoint_PollsThePlantFloats()
    {
        IngestConfiguration c = DefaultConfiguration.FromEndpoint("127.0.0.1:15502")!;

        SlaveConfiguration s = Assert.Single(c.Slaves);
        Assert.Equal(("pump1", "127.0.0.1", 15502), (s.Name, s.Host, s.Port));
        Assert.Equal(11, s.Points.Count);
        Assert.Equal(("pump1.temperature", 12, "degC"), (s.Points[6].Signal, s.Points[6].Address, s.Points[6].Unit));
        Assert.Empty(IngestConfigurationValidator.Problems(c));
        Assert.Null(DefaultConfiguration.FromEndpoint(null));
        Assert.Null(DefaultConfiguration.FromEndpoint(" "));
    }
}
