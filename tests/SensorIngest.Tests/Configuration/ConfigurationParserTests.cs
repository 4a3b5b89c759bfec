using System.Text.Json.Nodes;
using SensorIngest.Configuration;
using SensorIngest.Modbus;

namespace SensorIngest.Tests.Configuration;

[Trait("Category", "Unit")]
public class ConfigurationParserTests
{
    private const string Native = """
        {
          "$version": 3,
          "publishInterval": 0,
          "slaves": [
            {
              "name": "pump1", "endpoint": "10.0.0.5:1502", "unitId": 7, "pollingInterval": 500,
              "points": [
                { "signal": "pump1.vibration.rms", "function": 4, "address": 0, "type": "float32", "order": "ABCD", "unit": "mm/s" },
                { "signal": "pump1.temperature", "function": 3, "address": 6, "type": "int16", "scale": 0.1, "offset": -2, "unit": "degC" },
                { "signal": "pump1.running", "function": 2, "address": 0 }
              ]
            }
          ]
        }
        """;

    private const string Archived = """
        {
          "PublishInterval": "2000",
          "SlaveConfigs": {
            "Slave01": {
              "SlaveConnection": "192.168.0.1", "HwId": "PowerMeter-0a:01:01:01:01:01", "TcpPort": "502",
              "RetryCount": "10", "RetryInterval": "50",
              "Operations": {
                "Op01": { "PollingInterval": "1000", "UnitId": "1", "StartAddress": "400001", "Count": "2", "DisplayName": "Voltage", "CorrelationId": "MessageType1" },
                "Op02": { "PollingInterval": "1000", "UnitId": "1", "StartAddress": "00003", "Count": "1", "DisplayName": "Breaker" }
              }
            }
          }
        }
        """;

    [Fact]
    public void Parse_NativeSchema_MapsEveryField()
    {
        ConfigurationParseResult r = ConfigurationParser.Parse(JsonNode.Parse(Native)!.AsObject());

        Assert.Empty(r.Errors);
        IngestConfiguration c = r.Configuration!;
        Assert.Equal(ConfigurationSchema.Native, c.Schema);
        SlaveConfiguration s = Assert.Single(c.Slaves);
        Assert.Equal(("pump1", "10.0.0.5", 1502, 7, 500.0), (s.Name, s.Host, s.Port, s.UnitId, s.PollingInterval.TotalMilliseconds));
        Assert.Equal(3, s.Points.Count);
        Assert.Equal((4, 0, PointType.Float32, PointOrder.ABCD, "mm/s"), (s.Points[0].Function, s.Points[0].Address, s.Points[0].Type, s.Points[0].Order, s.Points[0].Unit));
        Assert.Equal((0.1, -2.0, PointType.Int16), (s.Points[1].Scale, s.Points[1].Offset, s.Points[1].Type));
        Assert.Equal(PointType.Bool, s.Points[2].Type);
        Assert.Empty(IngestConfigurationValidator.Problems(c));
    }

    [Fact]
    public void Parse_ArchivedSchema_MapsToSameModel()
    {
        ConfigurationParseResult r = ConfigurationParser.Parse(JsonNode.Parse(Archived)!.AsObject());

        Assert.Empty(r.Errors);
        IngestConfiguration c = r.Configuration!;
        Assert.Equal(ConfigurationSchema.Archived, c.Schema);
        Assert.Equal(2000, c.PublishInterval.TotalMilliseconds);
        SlaveConfiguration s = Assert.Single(c.Slaves);
        Assert.Equal(("Slave01", "192.168.0.1", 502, 1, 10, 50.0, "PowerMeter-0a:01:01:01:01:01"), (s.Name, s.Host, s.Port, s.UnitId, s.RetryCount, s.RetryInterval.TotalMilliseconds, s.HwId));
        Assert.Equal(["Voltage.0", "Voltage.1", "Breaker"], s.Points.Select(p => p.Signal));
        Assert.Equal([3, 3, 1], s.Points.Select(p => p.Function));
        Assert.Equal([0, 1, 2], s.Points.Select(p => p.Address));
        Assert.Equal("MessageType1", s.Points[0].CorrelationId);
        Assert.Empty(IngestConfigurationValidator.Problems(c));
    }

    [Fact]
    public void Parse_ArchivedOperationsWithDifferentIntervals_SplitIntoGroups()
    {
        string json = Archived.Replace("\"Op02\": { \"PollingInterval\": \"1000\"", "\"Op02\": { \"PollingInterval\": \"5000\"");

        IngestConfiguration c = ConfigurationParser.Parse(JsonNode.Parse(json)!.AsObject()).Configuration!;

        Assert.Equal(["Slave01.Op01", "Slave01.Op02"], c.Slaves.Select(s => s.Name));
        Assert.Equal([1000.0, 5000.0], c.Slaves.Select(s => s.PollingInterval.TotalMilliseconds));
    }

    [Theory]
    [InlineData("000001", 1, 0)]
    [InlineData("00010", 1, 9)]
    [InlineData("100001", 2, 0)]
    [InlineData("300001", 4, 0)]
    [InlineData("30100", 4, 99)]
    [InlineData("400001", 3, 0)]
    [InlineData("465536", 3, 65535)]
    public void TryParseStartAddress_PrefixSelectsFunction(string text, int function, int address)
    {
        Assert.True(ConfigurationParser.TryParseStartAddress(text, out int f, out int a));
        Assert.Equal((function, address), (f, a));
    }

    [Theory]
    [InlineData("200001")]
    [InlineData("400000")]
    [InlineData("4001")]
    [InlineData("4000001")]
    [InlineData("4x0001")]
    [InlineData("")]
    [InlineData("465537")]
    public void TryParseStartAddress_Invalid_ReturnsFalse(string text) =>
        Assert.False(ConfigurationParser.TryParseStartAddress(text, out _, out _));

    [Fact]
    public void Parse_NoConfiguration_IsAbsent()
    {
        ConfigurationParseResult r = ConfigurationParser.Parse(JsonNode.Parse("""{"$version":1}""")!.AsObject());
        Assert.False(r.IsPresent);
    }

    public static TheoryData<string, string> ShapeErrors => new()
    {
        { """{"slaves":{}}""", "slaves must be an array" },
        { """{"slaves":[1]}""", "slaves[0] must be an object" },
        { """{"slaves":[{"endpoint":"h:1","points":[]}]}""", "slaves[0].name is required" },
        { """{"slaves":[{"name":"a","points":[]}]}""", "slaves[a].endpoint is required" },
        { """{"slaves":[{"name":"a","endpoint":"h:x","points":[]}]}""", "must be host:port" },
        { """{"slaves":[{"name":"a","endpoint":"h:1","unitId":"one","points":[]}]}""", "slaves[a].unitId must be a number" },
        { """{"slaves":[{"name":"a","endpoint":"h:1","unitId":1.5,"points":[]}]}""", "slaves[a].unitId must be an integer" },
        { """{"slaves":[{"name":"a","endpoint":"h:1","points":{}}]}""", "slaves[a].points must be an array" },
        { """{"slaves":[{"name":"a","endpoint":"h:1","points":[{"signal":"s","function":3,"address":0,"type":"float16"}]}]}""", "type 'float16' is not one of" },
        { """{"slaves":[{"name":"a","endpoint":"h:1","points":[{"signal":"s","function":3,"address":0,"order":"ACBD"}]}]}""", "order 'ACBD' is not one of" },
        { """{"slaves":[{"name":"a","endpoint":"h:1","points":[{"function":3,"address":0}]}]}""", "points[0].signal is required" },
        { """{"slaves":[],"SlaveConfigs":{}}""", "use one" },
        { """{"SlaveConfigs":[]}""", "SlaveConfigs must be an object" },
        { """{"SlaveConfigs":{"S":{"SlaveConnection":"h","Operations":{"O":{"StartAddress":"900001"}}}}}""", "StartAddress '900001' must be" },
        { """{"SlaveConfigs":{"S":{"SlaveConnection":"h"}}}""", "SlaveConfigs.S.Operations must be an object" },
        { """{"SlaveConfigs":{"S":{"SlaveConnection":"h","Operations":{"O":{"StartAddress":"400001","Count":"0"}}}}}""", "Count must be at least 1" },
        { """{"SlaveConfigs":{"S":{"SlaveConnection":"h","TcpPort":"x","Operations":{}}}}""", "SlaveConfigs.S.TcpPort must be a number" },
        { """{"slaves":[{"name":"a","endpoint":"h:1","pollingInterval":1e300,"points":[]}]}""", "slaves[a].pollingInterval is out of range" },
        { """{"slaves":[{"name":"a","endpoint":"h:1","pollingInterval":"NaN","points":[]}]}""", "slaves[a].pollingInterval must be a number" },
    };

    [Theory]
    [MemberData(nameof(ShapeErrors))]
    public void Parse_BadShape_ReportsProblemAndNoConfiguration(string json, string expected)
    {
        ConfigurationParseResult r = ConfigurationParser.Parse(JsonNode.Parse(json)!.AsObject());

        Assert.Null(r.Configuration);
        Assert.Contains(r.Errors, e => e.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_SeveralBadFields_ListsEveryProblem()
    {
        const string json = """{"slaves":[{"name":"a","endpoint":"h:x","unitId":"u","points":[{"function":"f","address":0,"type":"nope"}]}]}""";

        ConfigurationParseResult r = ConfigurationParser.Parse(JsonNode.Parse(json)!.AsObject());

        Assert.True(r.Errors.Count >= 4, string.Join("\n", r.Errors));
    }
}
