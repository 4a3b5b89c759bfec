using System.Text;
using BenchmarkDotNet.Attributes;
using EdgeHub.Messaging;
using EdgeHub.Routing;
using EdgeKit.Protocol;

namespace EdgeBench;

/// <summary>Route condition evaluation, the per-message hot path of the hub's router (see docs/routing.md).</summary>
[MemoryDiagnoser]
public class RouteConditionBenchmarks
{
    // 103 bytes, shaped like our telemetry.
    private const string Body = """{"schema":"telemetry/1","source":"modbus://pump1","sensor":"a","temperature":72.5,"unit":"C","seq":1}""";

    private readonly List<Route> matched = new(16);
    private HubMessage message = null!;
    private CompiledCondition bodyAndProperty = null!;
    private CompiledCondition propertyOnly = null!;
    private CompiledCondition builtins = null!;
    private RouteTable table = null!;

    [GlobalSetup]
    public void Setup()
    {
        message = new HubMessage(
            Encoding.UTF8.GetBytes(Body),
            new Dictionary<string, string> { ["sensor"] = "a", ["schema"] = "telemetry/1" },
            new Dictionary<string, string>
            {
                [SystemPropertyNames.ContentType] = "application/json",
                [SystemPropertyNames.ContentEncoding] = "utf-8",
                [SystemPropertyNames.ConnectionDeviceId] = "plant1",
                [SystemPropertyNames.ConnectionModuleId] = "SensorIngest",
                [SystemPropertyNames.OutputName] = "telemetry",
            })
        {
            Source = MessageSource.FromModule("plant1", "SensorIngest", "telemetry"),
        };
        bodyAndProperty = CompiledCondition.Parse("$body.temperature > 50 AND sensor = 'a'");
        propertyOnly = CompiledCondition.Parse("$connectionModuleId = 'SensorIngest' AND schema = 'telemetry/1'");
        builtins = CompiledCondition.Parse("starts_with($body.source, 'modbus://') AND NOT IS_DEFINED($body.alarm) AND abs($body.temperature - 70) < 5");
        table = new RouteTable(
        [
            RouteParser.Parse("telemetryToInference", "FROM /messages/modules/SensorIngest/outputs/telemetry INTO BrokeredEndpoint(\"/modules/OnnxInference/inputs/telemetry\")"),
            RouteParser.Parse("telemetryToDetector", "FROM /messages/modules/SensorIngest/outputs/telemetry INTO BrokeredEndpoint(\"/modules/AnomalyDetector/inputs/telemetry\")"),
            RouteParser.Parse("hot", "FROM /messages/modules/* WHERE $body.temperature > 50 AND sensor = 'a' INTO $upstream"),
            RouteParser.Parse("scores", "FROM /messages/modules/OnnxInference/outputs/scores INTO BrokeredEndpoint(\"/modules/AnomalyDetector/inputs/scores\")"),
            RouteParser.Parse("leaf", "FROM /messages/* WHERE NOT IS_DEFINED($connectionModuleId) INTO $upstream"),
        ]);
    }

    [Benchmark(Baseline = true)]
    public bool BodyNumberAndProperty() => bodyAndProperty.Evaluate(message);

    [Benchmark]
    public bool PropertiesOnly() => propertyOnly.Evaluate(message);

    [Benchmark]
    public bool BodyStringsAndBuiltins() => builtins.Evaluate(message);

    [Benchmark]
    public int RouteTableMatchFiveRoutes()
    {
        matched.Clear();
        table.Match(message, matched);
        return matched.Count;
    }

    [Benchmark]
    public Route ParseAndCompileRoute() =>
        RouteParser.Parse("hot", "FROM /messages/modules/* WHERE $body.temperature > 50 AND sensor = 'a' INTO BrokeredEndpoint(\"/modules/alerts/inputs/hot\")");
}
