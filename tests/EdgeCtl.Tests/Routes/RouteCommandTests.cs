using System.Text;
using System.Text.Json;
using EdgeCtl.Commands;

namespace EdgeCtl.Tests.Routes;

/// <summary>Tests that swap Console.In/Out/Error run alone, after every parallel test (xunit runs such a collection last).</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ConsoleCollection
{
    public const string Name = "Console";
}

/// <summary><c>edgectl route test</c> run in-process through the real command line.</summary>
[Trait("Category", "Unit")]
[Collection(ConsoleCollection.Name)]
public sealed class RouteCommandTests : IDisposable
{
    private const string Upstream = "$upstream";
    private const string JsonSys = "contentType=application/json";
    private const string Utf8Sys = "contentEncoding=utf-8";
    private readonly string directory = Path.Combine(Path.GetTempPath(), "routetest-" + Guid.NewGuid().ToString("N"));

    public RouteCommandTests() => Directory.CreateDirectory(directory);

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [Fact]
    public async Task Route_Json_PrintsExactlyTheFiveFieldsAndExitsZeroWhenRouted()
    {
        CliRun run = await RunAsync(["route", "test", "--route", "FROM /messages/modules/a/outputs/o WHERE sensor = 'x' INTO $upstream", "--source-module", "a", "--output", "o", "--prop", "sensor=x", "--json"]);

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("{\"sourceMatches\":true,\"condition\":true,\"error\":null,\"routed\":true,\"sink\":\"$upstream\"}", run.Stdout.Trim());
    }

    [Fact]
    public async Task Route_ConditionFalse_ExitsOneWithConditionFalse()
    {
        CliRun run = await RunAsync(["route", "test", "--route", "FROM /messages/* WHERE sensor = 'y' INTO $upstream", "--prop", "sensor=x", "--json"]);

        Assert.Equal(1, run.ExitCode);
        using JsonDocument json = JsonDocument.Parse(run.Stdout);
        Assert.True(json.RootElement.GetProperty("sourceMatches").GetBoolean());
        Assert.False(json.RootElement.GetProperty("condition").GetBoolean());
        Assert.False(json.RootElement.GetProperty("routed").GetBoolean());
    }

    [Fact]
    public async Task Route_MissingProperty_ConditionIsUndefinedAndNotRouted()
    {
        CliRun run = await RunAsync(["route", "test", "--route", "FROM /messages/* WHERE Sensor = 'x' INTO $upstream", "--prop", "sensor=x", "--json"]);

        Assert.Equal(1, run.ExitCode);
        using JsonDocument json = JsonDocument.Parse(run.Stdout);
        Assert.Equal("undefined", json.RootElement.GetProperty("condition").GetString());
        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("error").ValueKind);
    }

    [Fact]
    public async Task Route_OtherModule_SourceDoesNotMatchAndNotRouted()
    {
        CliRun run = await RunAsync(["route", "test", "--route", "FROM /messages/modules/a/* INTO BrokeredEndpoint(\"/modules/b/inputs/in\")", "--source-module", "c", "--json"]);

        Assert.Equal(1, run.ExitCode);
        using JsonDocument json = JsonDocument.Parse(run.Stdout);
        Assert.False(json.RootElement.GetProperty("sourceMatches").GetBoolean());
        Assert.True(json.RootElement.GetProperty("condition").GetBoolean());
        Assert.Equal("/modules/b/inputs/in", json.RootElement.GetProperty("sink").GetString());
    }

    [Fact]
    public async Task Route_SyntaxError_ExitsTwoWithLineAndColumn()
    {
        CliRun run = await RunAsync(["route", "test", "--route", "FROM /messages/* WHERE level > 5 INTO $upstream", "--json"]);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("syntax error at line 1, column 30", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("^", run.Stderr, StringComparison.Ordinal);
        using JsonDocument json = JsonDocument.Parse(run.Stdout);
        Assert.EndsWith("(line 1, column 30)", json.RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.False(json.RootElement.GetProperty("routed").GetBoolean());
    }

    [Fact]
    public async Task Route_BodyFromStdin_IsQueriedWhenItIsJson()
    {
        const string Route = "FROM /messages/* WHERE $body.temperature > 50 INTO $upstream";

        CliRun routed = await RunAsync(["route", "test", "--route", Route, "--body", "-", "--sys", JsonSys, "--sys", Utf8Sys, "--json"], stdin: "{\"temperature\": 72}");
        CliRun notJson = await RunAsync(["route", "test", "--route", Route, "--body", "-"], stdin: "{\"temperature\": 72}");

        Assert.Equal(0, routed.ExitCode);
        Assert.Contains("\"condition\":true", routed.Stdout, StringComparison.Ordinal);
        Assert.Equal(1, notJson.ExitCode);
        Assert.Contains("condition: undefined", notJson.Stdout, StringComparison.Ordinal);
        Assert.Contains("hint:", notJson.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Route_BodyFromUtf16File_SystemPropertyNamesAreCaseInsensitive()
    {
        string body = Path.Combine(directory, "body.json");
        await File.WriteAllBytesAsync(body, Encoding.Unicode.GetBytes("{\"alarm\": {\"level\": 3}}"));

        CliRun run = await RunAsync(["route", "test", "--route", "FROM /messages/* WHERE $body.alarm.level = 3 INTO $upstream", "--body", body, "--sys", "CONTENTTYPE=application/json", "--sys", "contentencoding=utf-16", "--json"]);

        Assert.Equal(0, run.ExitCode);
    }

    [Fact]
    public async Task Route_MalformedJsonBody_ReportsTheErrorAndWhere()
    {
        CliRun run = await RunAsync(["route", "test", "--route", "FROM /messages/* WHERE $body.t > 1 INTO $upstream", "--body", "-", "--sys", JsonSys, Utf8Sys, "--json"], stdin: "{\"t\": ");

        Assert.Equal(1, run.ExitCode);
        using JsonDocument json = JsonDocument.Parse(run.Stdout);
        Assert.StartsWith("$body.t (line 1, column 24): the body is not valid JSON", json.RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Route_HumanOutput_SaysSourceConditionAndSink()
    {
        CliRun run = await RunAsync(["route", "test", "--route", "FROM /messages/modules/a/* WHERE $connectionModuleId = 'a' INTO $upstream", "--source-module", "a"]);

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("source:    matches", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("condition: true", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("routed:    yes -> $upstream", run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Condition_Alone_RoutedIsItsTruthAndSinkIsNull()
    {
        CliRun routed = await RunAsync(["route", "test", "--condition", "as_number(level) >= 5", "--prop", "level=7", "--json"]);
        CliRun notBoolean = await RunAsync(["route", "test", "--condition", "$body.x", "--body", "-", "--sys", JsonSys, Utf8Sys, "--json"], stdin: "{\"x\": 42}");

        Assert.Equal(0, routed.ExitCode);
        Assert.Equal("{\"sourceMatches\":true,\"condition\":true,\"error\":null,\"routed\":true,\"sink\":null}", routed.Stdout.Trim());
        Assert.Equal(1, notBoolean.ExitCode);
        Assert.Contains("\"condition\":\"undefined\"", notBoolean.Stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("route", "test")]
    [InlineData("route", "test", "--route", "FROM /* INTO $upstream", "--condition", "true")]
    [InlineData("route", "test", "--condition", "true", "--prop", "novalue")]
    [InlineData("route", "test", "--condition", "true", "--bogus")]
    [InlineData("route", "test", "--condition", "true", "--output", "o")]
    [InlineData("route", "test", "--condition")]
    [InlineData("route", "test", "--condition", "true", "--body", "/nonexistent/body.json")]
    public async Task Usage_Mistake_ExitsTwo(params string[] args)
    {
        CliRun run = await RunAsync(args);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("edgectl route test:", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Manifest_SuiteTelemetry_ListsEveryRouteAndTheThreeEndpoints()
    {
        CliRun run = await RunAsync(["route", "test", "--manifest", SuiteTemplate(), "--source-module", "SensorIngest", "--output", "telemetry", "--json"]);

        Assert.Equal(0, run.ExitCode);
        using JsonDocument json = JsonDocument.Parse(run.Stdout);
        Assert.Equal(5, json.RootElement.GetProperty("routes").GetArrayLength());
        string[] delivered = [.. json.RootElement.GetProperty("delivered").EnumerateArray().Select(d => d.GetProperty("sink").GetString()!)];
        Assert.Equal(["/modules/OnnxInference/inputs/telemetry", "/modules/AnomalyDetector/inputs/telemetry", "/modules/FederatedTrainer/inputs/telemetry"], delivered);
        Assert.Contains("warning:", run.Stderr, StringComparison.Ordinal); // unset registry variables are outside $edgeHub
    }

    [Fact]
    public async Task Manifest_SuiteAlerts_HumanListingShowsUpstream()
    {
        CliRun run = await RunAsync(["route", "test", "--manifest", SuiteTemplate(), "--source-module", "AnomalyDetector", "--output", "alerts"]);

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("alertsUpstream", run.Stdout, StringComparison.Ordinal);
        Assert.Contains($"  {Upstream}  (route alertsUpstream, priority 0, timeToLiveSecs 86400)", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("not routed: source does not match", run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Manifest_NoRouteTakesTheMessage_ExitsOne()
    {
        CliRun run = await RunAsync(["route", "test", "--manifest", SuiteTemplate(), "--source-module", "Nobody", "--output", "x"]);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("not routed: no route delivers this message", run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Manifest_BadRoute_ExitsTwoWithItsPosition()
    {
        string path = WriteManifest("""{"good": "FROM /* INTO $upstream", "bad": "FROM /messages/* WHERE (a = 'b' INTO $upstream"}""");

        CliRun run = await RunAsync(["route", "test", "--manifest", path]);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("route bad:", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("(line 1, column ", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("good  routed -> $upstream", run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Manifest_UnresolvedVariableInARoute_ExitsTwo()
    {
        string path = WriteManifest("""{"r": "FROM /* WHERE site = '${ROUTE_TEST_UNSET_SITE}' INTO $upstream"}""");

        CliRun run = await RunAsync(["route", "test", "--manifest", path, "--env", Path.Combine(directory, "empty.env")]);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("error:", run.Stderr, StringComparison.Ordinal);
    }

    private static string SuiteTemplate() => Path.Combine(AppContext.BaseDirectory, "TestData", "suite.template.json");

    private string WriteManifest(string routes)
    {
        File.WriteAllText(Path.Combine(directory, "empty.env"), string.Empty);
        string path = Path.Combine(directory, "deployment.template.json");
        File.WriteAllText(path, $$"""
            {
              "$schema-template": "4.0.0",
              "modulesContent": {
                "$edgeHub": { "properties.desired": { "schemaVersion": "1.1", "routes": {{routes}} } }
              }
            }
            """);
        return path;
    }

    private static async Task<CliRun> RunAsync(string[] args, string? stdin = null)
    {
        TextReader oldIn = Console.In;
        TextWriter oldOut = Console.Out;
        TextWriter oldError = Console.Error;
        using var input = new StringReader(stdin ?? string.Empty);
        using var output = new StringWriter();
        using var error = new StringWriter();
        Console.SetIn(input);
        Console.SetOut(output);
        Console.SetError(error);
        try
        {
            int exitCode = await EdgeCtlCli.Build().Parse(args).InvokeAsync();
            return new CliRun(exitCode, output.ToString(), error.ToString());
        }
        finally
        {
            Console.SetIn(oldIn);
            Console.SetOut(oldOut);
            Console.SetError(oldError);
        }
    }

    private sealed record CliRun(int ExitCode, string Stdout, string Stderr);
}
