using EdgeHub.Messaging;
using EdgeHub.Routing;

namespace EdgeCtl.Tests.Routes;

/// <summary>
/// The route query language, case by case: (condition, message, expected), written from the IoT Hub message routing
/// query documentation (learn.microsoft.com/azure/iot-hub/iot-hub-devguide-routing-query-syntax) and edgeHub's grammar
/// (Condition.g4, GrammarLexer.g4, ConditionVisitor.cs). Messages are named in <see cref="RouteTestMessages"/>.
/// Expected: true, false, undefined, notbool (a non-boolean value), error (evaluation failed), syntax (rejected when compiled).
/// </summary>
[Trait("Category", "Unit")]
public class RouteQueryTableTests
{
    [Theory]
    // Comparison operators on application properties (always strings; values compare ordinally, case-sensitive).
    [InlineData("sensor = 'a'", "default", "true")]
    [InlineData("sensor = 'A'", "default", "false")]
    [InlineData("sensor != 'b'", "default", "true")]
    [InlineData("sensor <> 'a'", "default", "false")]
    [InlineData("sensor < 'b'", "default", "true")]
    [InlineData("sensor <= 'a'", "default", "true")]
    [InlineData("sensor > 'a'", "default", "false")]
    [InlineData("sensor >= 'b'", "default", "false")]
    [InlineData("sensor = \"a\"", "default", "true")]
    [InlineData("'a' < 'b'", "default", "true")]
    [InlineData("'B' < 'a'", "default", "true")]
    // Property names are case-sensitive; a missing property is undefined and so is every comparison with it.
    [InlineData("Sensor = 'a'", "default", "undefined")]
    [InlineData("missing = 'a'", "default", "undefined")]
    [InlineData("missing != 'a'", "default", "undefined")]
    [InlineData("content-type = 'text'", "default", "true")]
    // Numbers from the body, every literal form.
    [InlineData("$body.temperature > 70", "default", "true")]
    [InlineData("$body.temperature < 70", "default", "false")]
    [InlineData("$body.temperature >= 72.5", "default", "true")]
    [InlineData("$body.temperature <= 72.4", "default", "false")]
    [InlineData("$body.temperature = 72.5", "default", "true")]
    [InlineData("$body.temperature != 72.5", "default", "false")]
    [InlineData("$body.temperature <> 72.5", "default", "false")]
    [InlineData("$body.pressure = 3.0", "default", "true")]
    [InlineData("$body.pressure = 0x3", "default", "true")]
    [InlineData("$body.pressure < 1e1", "default", "true")]
    [InlineData("$body.pressure > .5", "default", "true")]
    [InlineData("$body.neg = -4.5", "default", "true")]
    [InlineData("$body.neg < - 4", "default", "true")]
    [InlineData("0x1F = 31", "default", "true")]
    [InlineData("1.5e-3 = 0.0015", "default", "true")]
    [InlineData("1e5 = 100000", "default", "true")]
    [InlineData("-123 = - 123", "default", "true")]
    // Arithmetic, precedence and associativity; IEEE doubles.
    [InlineData("$body.pressure * 2 = 6", "default", "true")]
    [InlineData("$body.pressure + 1 = 4", "default", "true")]
    [InlineData("$body.pressure - 1 = 2", "default", "true")]
    [InlineData("$body.pressure / 2 = 1.5", "default", "true")]
    [InlineData("$body.pressure % 2 = 1", "default", "true")]
    [InlineData("1 + 2 * 3 = 7", "default", "true")]
    [InlineData("(1 + 2) * 3 = 9", "default", "true")]
    [InlineData("10 - 2 - 3 = 5", "default", "true")]
    [InlineData("1 / 0 > 1000000", "default", "true")]
    [InlineData("sqrt(-1) = sqrt(-1)", "default", "false")]
    [InlineData("$body.name * 2 = 2", "default", "undefined")]
    // Strings: literals, escapes, || and the string built-ins.
    [InlineData("$body.name = 'pump-1'", "default", "true")]
    [InlineData("'ab' || 'cd' = 'abcd'", "default", "true")]
    [InlineData("concat(sensor, '-', $body.name) = 'a-pump-1'", "default", "true")]
    [InlineData("concat('a') = 'a'", "default", "syntax")]
    [InlineData("length($body.text) = 11", "default", "true")]
    [InlineData("lower($body.text) = 'hello world'", "default", "true")]
    [InlineData("upper(sensor) = 'A'", "default", "true")]
    [InlineData("substring($body.text, 6) = 'World'", "default", "true")]
    [InlineData("substring($body.text, 0, 5) = 'Hello'", "default", "true")]
    [InlineData("is_defined(substring($body.text, 20))", "default", "false")]
    [InlineData("index_of($body.text, 'World') = 6", "default", "true")]
    [InlineData("index_of($body.text, 'world') = -1", "default", "true")]
    [InlineData("starts_with($body.text, 'Hello')", "default", "true")]
    [InlineData("ends_with($body.text, 'World')", "default", "true")]
    [InlineData("contains($body.text, 'lo W')", "default", "true")]
    [InlineData("contains($body.text, 'LO')", "default", "false")]
    [InlineData("STARTS_WITH(sensor, 'a')", "default", "true")]
    [InlineData("'it\\'s' = \"it's\"", "default", "true")]
    [InlineData("'a\\u0062' = 'ab'", "default", "true")]
    [InlineData("'a\\\\b' = concat('a', '\\\\', 'b')", "default", "true")]
    [InlineData("'a\\qb' = 'a'", "default", "syntax")]
    [InlineData("sensor = 'a", "default", "syntax")]
    // Booleans and three-valued logic.
    [InlineData("true", "default", "true")]
    [InlineData("false", "default", "false")]
    [InlineData("$body.ok", "default", "true")]
    [InlineData("$body.off", "default", "false")]
    [InlineData("$body.ok = true", "default", "true")]
    [InlineData("$body.ok AND $body.off", "default", "false")]
    [InlineData("$body.ok OR $body.off", "default", "true")]
    [InlineData("NOT $body.off", "default", "true")]
    [InlineData("NOT (sensor = 'b')", "default", "true")]
    [InlineData("NOT sensor = 'b'", "default", "syntax")]
    [InlineData("false AND missing = 'x'", "default", "false")]
    [InlineData("true AND missing = 'x'", "default", "undefined")]
    [InlineData("true OR missing = 'x'", "default", "true")]
    [InlineData("false OR missing = 'x'", "default", "undefined")]
    [InlineData("NOT (missing = 'x')", "default", "undefined")]
    [InlineData("sensor = 'a' and level = '5'", "default", "true")]
    [InlineData("sensor = 'b' Or level = '5'", "default", "true")]
    [InlineData("not (level = '6')", "default", "true")]
    [InlineData("true OR false AND false", "default", "true")]
    [InlineData("(true OR false) AND false", "default", "false")]
    [InlineData("TRUE", "default", "syntax")]
    [InlineData("sensor = 'a' /* a comment */ AND level = '5'", "default", "true")]
    // null, undefined and ??.
    [InlineData("$body.nothing = null", "default", "true")]
    [InlineData("$body.nothing != null", "default", "false")]
    [InlineData("is_null($body.nothing)", "default", "true")]
    [InlineData("sensor = null", "default", "false")]
    [InlineData("missing = null", "default", "undefined")]
    [InlineData("null = null", "default", "true")]
    [InlineData("$body.nothing < 1", "default", "undefined")]
    [InlineData("is_defined(undefined)", "default", "false")]
    [InlineData("(missing ?? 'dflt') = 'dflt'", "default", "true")]
    [InlineData("(sensor ?? 'dflt') = 'a'", "default", "true")]
    [InlineData("($body.nothing ?? 1) = null", "default", "true")]
    // Types: no coercion at run time, compile-time rejection where both types are known.
    [InlineData("level = 5", "default", "syntax")]
    [InlineData("as_number(level) = 5", "default", "true")]
    [InlineData("as_number(level) > 4.5", "default", "true")]
    [InlineData("as_number(sensor) = 5", "default", "undefined")]
    [InlineData("$body.numstr = 42", "default", "undefined")]
    [InlineData("$body.numstr = '42'", "default", "true")]
    [InlineData("as_number($body.numstr) = 42", "default", "true")]
    [InlineData("$body.pressure = '3'", "default", "undefined")]
    [InlineData("$body.ok = 'true'", "default", "undefined")]
    [InlineData("$body.ok = 1", "default", "undefined")]
    [InlineData("'a' - 1 = 0", "default", "syntax")]
    [InlineData("lower(5) = '5'", "default", "syntax")]
    [InlineData("sensor", "default", "syntax")]
    [InlineData("5", "default", "syntax")]
    [InlineData("$body.temperature", "default", "notbool")]
    [InlineData("$body.name", "default", "notbool")]
    [InlineData("is_number($body.temperature)", "default", "true")]
    [InlineData("is_number($body.numstr)", "default", "false")]
    [InlineData("is_string($body.numstr)", "default", "true")]
    [InlineData("is_string(sensor)", "default", "true")]
    [InlineData("is_bool($body.ok)", "default", "true")]
    [InlineData("is_bool($body.missing)", "default", "false")]
    // $body paths: members, nesting, indexes; objects and arrays are undefined; names are case-sensitive.
    [InlineData("is_defined($body.missing)", "default", "false")]
    [InlineData("is_defined($body.obj)", "default", "false")]
    [InlineData("is_defined($body.nested.a.b)", "default", "true")]
    [InlineData("$body.nested.a.b = 7", "default", "true")]
    [InlineData("$body.list[1] = 20", "default", "true")]
    [InlineData("$body.list[2].c = 'x'", "default", "true")]
    [InlineData("is_defined($body.list[5])", "default", "false")]
    [InlineData("$body.Temperature > 0", "default", "undefined")]
    [InlineData("$body = 1", "default", "syntax")]
    // Math built-ins.
    [InlineData("abs($body.neg) = 4.5", "default", "true")]
    [InlineData("ceiling($body.neg) = -4", "default", "true")]
    [InlineData("floor($body.neg) = -5", "default", "true")]
    [InlineData("sign($body.neg) = -1", "default", "true")]
    [InlineData("sign(0) = 0", "default", "true")]
    [InlineData("sqrt(16) = 4", "default", "true")]
    [InlineData("square(3) = 9", "default", "true")]
    [InlineData("exp(0) = 1", "default", "true")]
    [InlineData("power(2, 10) = 1024", "default", "true")]
    [InlineData("abs(sensor) = 1", "default", "syntax")]
    [InlineData("abs($body.name) = 1", "default", "undefined")]
    // System properties: $name (case-insensitive name), {$name}; an application property named $name wins.
    [InlineData("$contentType = 'application/json'", "default", "true")]
    [InlineData("$contenttype = 'application/json'", "default", "true")]
    [InlineData("$contentEncoding = 'utf-8'", "default", "true")]
    [InlineData("$messageId = 'm1'", "default", "true")]
    [InlineData("$correlationId = 'c1'", "default", "true")]
    [InlineData("$connectionDeviceId = 'dev1'", "default", "true")]
    [InlineData("$connectionModuleId = 'SensorIngest'", "default", "true")]
    [InlineData("$outputName = 'telemetry'", "default", "true")]
    [InlineData("$userId = 'x'", "default", "undefined")]
    [InlineData("{$messageId} = 'm1'", "default", "true")]
    [InlineData("$messageId = 'app'", "shadow", "true")]
    [InlineData("{$messageId} = 'm1'", "shadow", "true")]
    // Body queries need contentType application/json and contentEncoding UTF-8/16/32.
    [InlineData("$body.temperature > 70", "notjson", "undefined")]
    [InlineData("$body.temperature > 70", "noencoding", "undefined")]
    [InlineData("$body.temperature > 70", "latin1", "undefined")]
    [InlineData("is_defined($body.temperature)", "notjson", "false")]
    [InlineData("$body.temperature > 70", "utf16", "true")]
    [InlineData("$body.temperature > 70", "utf32", "true")]
    [InlineData("$body.temperature > 70", "charset", "true")]
    [InlineData("$body.temperature > 70", "upper", "true")]
    [InlineData("$body.temperature > 70", "bom", "true")]
    [InlineData("$body.temperature > 70", "badjson", "error")]
    [InlineData("sensor = 'a'", "badjson", "true")]
    // Rejected: IoT Hub-only functions, unknown functions, $twin, unbalanced input, lexing quirks.
    [InlineData("is_array($body.list)", "default", "syntax")]
    [InlineData("trim(sensor) = 'a'", "default", "syntax")]
    [InlineData("nosuchfn(1) = 1", "default", "syntax")]
    [InlineData("$twin.tags.x = 1", "default", "syntax")]
    [InlineData("(sensor = 'a'", "default", "syntax")]
    [InlineData("1 -1 = 0", "default", "syntax")]
    [InlineData("e5 = 1", "default", "syntax")]
    [InlineData("", "default", "syntax")]
    public void Condition_EvaluatedAgainstMessage_GivesDocumentedResult(string condition, string message, string expected)
    {
        HubMessage hubMessage = RouteTestMessages.Get(message);
        CompiledCondition compiled;
        try
        {
            compiled = RouteParser.ParseCondition(condition);
        }
        catch (RouteSyntaxException ex)
        {
            Assert.True(expected == "syntax", $"'{condition}' was rejected ({ex.Message}) but should be {expected}");
            Assert.True(ex.Line >= 1 && ex.Column >= 1, "a syntax error carries its position");
            return;
        }

        Assert.True(expected != "syntax", $"'{condition}' compiled but should be rejected");
        ConditionDiagnosis diagnosis = compiled.Diagnose(hubMessage);
        string actual = diagnosis.Outcome switch
        {
            ConditionOutcome.True => "true",
            ConditionOutcome.False => "false",
            ConditionOutcome.Undefined => "undefined",
            ConditionOutcome.NotBoolean => "notbool",
            _ => "error",
        };
        Assert.Equal(expected, actual);
        Assert.Equal(diagnosis.Outcome, compiled.EvaluateOutcome(hubMessage));
        Assert.Equal(expected == "true", compiled.Evaluate(hubMessage));
    }

    [Theory]
    [InlineData("FROM /* INTO $upstream", "SensorIngest", "telemetry", true)]
    [InlineData("FROM /messages/* INTO $upstream", "SensorIngest", "telemetry", true)]
    [InlineData("FROM /messages INTO $upstream", null, null, true)]
    [InlineData("FROM /messages/modules/* INTO $upstream", null, null, false)]
    [InlineData("FROM /messages/modules/* INTO $upstream", "SensorIngest", null, true)]
    [InlineData("FROM /messages/modules/SensorIngest/* INTO $upstream", "SensorIngest", null, true)]
    [InlineData("FROM /messages/modules/sensoringest INTO $upstream", "SensorIngest", "telemetry", true)]
    [InlineData("FROM /messages/modules/SensorIngest/outputs/* INTO $upstream", "SensorIngest", null, false)]
    [InlineData("FROM /messages/modules/SensorIngest/outputs/* INTO $upstream", "SensorIngest", "telemetry", true)]
    [InlineData("FROM /messages/modules/SensorIngest/outputs/telemetry INTO $upstream", "SensorIngest", "telemetry", true)]
    [InlineData("FROM /messages/modules/SensorIngest/outputs/alerts INTO $upstream", "SensorIngest", "telemetry", false)]
    [InlineData("FROM /messages/modules/Other/outputs/telemetry INTO $upstream", "SensorIngest", "telemetry", false)]
    [InlineData("FROM /twinChangeNotifications INTO $upstream", "SensorIngest", "telemetry", false)]
    [InlineData("select * from /messages/* where sensor = 'a' into $upstream", "SensorIngest", "telemetry", true)]
    [InlineData("FROM /messages/* WHERE sensor = 'b' INTO BrokeredEndpoint(\"/modules/x/inputs/y\")", "SensorIngest", "telemetry", false)]
    public void Route_SourceAndCondition_DecideWhetherTheMessageIsRouted(string text, string? module, string? output, bool routed)
    {
        Route route = RouteParser.Parse("r", text);
        HubMessage template = RouteTestMessages.Get("default");
        var message = new HubMessage(template.Body, template.Properties, template.SystemProperties)
        {
            Source = new MessageSource(MessageSourceKind.Telemetry, "dev1", module, output),
        };

        bool actual = route.Source.Matches(message.Source) && (route.Condition?.Evaluate(message) ?? true);

        Assert.Equal(routed, actual);
    }

    [Fact]
    public void Diagnose_MalformedBody_SaysWhichBodyPathFailedAndWhere()
    {
        Route route = RouteParser.Parse("r", "FROM /messages/*\nWHERE sensor = 'a' AND $body.temperature > 70 INTO $upstream");

        ConditionDiagnosis diagnosis = route.Condition!.Diagnose(RouteTestMessages.Get("badjson"));

        Assert.Equal(ConditionOutcome.Error, diagnosis.Outcome);
        Assert.StartsWith("$body.temperature (line 2, column 24): the body is not valid JSON", diagnosis.Error, StringComparison.Ordinal);
    }
}
