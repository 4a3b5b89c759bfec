using EdgeHub.Routing;
using EdgeKit.Protocol;

namespace EdgeHub.Tests.Routing;

[Trait("Category", "Unit")]
public class RouteParserTests
{
    [Fact]
    public void Parse_AllMessagesToUpstream_ParsesSourceAndSink()
    {
        Route route = RouteParser.Parse("r1", "FROM /messages/* INTO $upstream");

        Assert.Equal("r1", route.Name);
        Assert.Equal(RouteSourceKind.AllMessages, route.Source.Kind);
        Assert.Null(route.Condition);
        Assert.Equal(RouteSinkKind.Upstream, route.Sink.Kind);
        Assert.Equal("$upstream", route.Sink.EndpointId);
        Assert.Equal(0, route.Priority);
        Assert.Equal(0, route.TimeToLiveSecs);
    }

    [Fact]
    public void Parse_ModuleOutputToModuleInput_ParsesBrokeredEndpoint()
    {
        Route route = RouteParser.Parse(
            "sensorToFilter",
            "FROM /messages/modules/tempSensor/outputs/temperatureOutput INTO BrokeredEndpoint(\"/modules/filtermodule/inputs/input1\")");

        Assert.Equal(RouteSourceKind.ModuleOutput, route.Source.Kind);
        Assert.Equal("tempSensor", route.Source.ModuleId);
        Assert.Equal("temperatureOutput", route.Source.OutputName);
        Assert.Equal(RouteSinkKind.ModuleInput, route.Sink.Kind);
        Assert.Equal("filtermodule", route.Sink.ModuleId);
        Assert.Equal("input1", route.Sink.InputName);
        Assert.Equal("/modules/filtermodule/inputs/input1", route.Sink.EndpointId);
    }

    [Fact]
    public void Parse_LeafDeviceOnlyRouteFromDocs_MatchesOnlyMessagesWithoutModuleId()
    {
        Route route = RouteParser.Parse("leaf", "FROM /messages/* WHERE NOT IS_DEFINED($connectionModuleId) INTO $upstream");
        var fromModule = TestMessages.Standard;
        var system = TestMessages.JsonSystemProperties();
        system.Remove(SystemPropertyNames.ConnectionModuleId);
        var fromLeaf = TestMessages.Create(TestMessages.Body, systemProperties: system, source: new EdgeHub.Messaging.MessageSource(EdgeHub.Messaging.MessageSourceKind.Telemetry, "leaf1", null, null));

        Assert.Equal("NOT IS_DEFINED($connectionModuleId)", route.Condition!.Text);
        Assert.False(route.Condition.Evaluate(fromModule));
        Assert.True(route.Condition.Evaluate(fromLeaf));
    }

    [Theory]
    [InlineData("FROM /* INTO $upstream")]
    [InlineData("FROM /messages/* INTO $upstream")]
    [InlineData("FROM /messages/modules/* INTO $upstream")]
    [InlineData("FROM /messages/modules/tempSensor/* INTO $upstream")]
    [InlineData("FROM /messages/modules/tempSensor/outputs/* INTO $upstream")]
    [InlineData("FROM /messages/modules/tempSensor/outputs/temperatureOutput INTO $upstream")]
    [InlineData("FROM /twinChangeNotifications INTO $upstream")]
    [InlineData("FROM /messages/modules/filtermodule/outputs/output1 INTO BrokeredEndpoint(\"/modules/filtermodule2/inputs/input1\")")]
    [InlineData("FROM /messages/modules/tempSensor/outputs/temperatureOutput WHERE $body.machine.temperature > 70 INTO BrokeredEndpoint(\"/modules/alerts/inputs/hot\")")]
    [InlineData("FROM /messages/* WHERE $connectionModuleId = 'SensorIngest' AND $body.schema = 'telemetry/1' INTO BrokeredEndpoint('/modules/OnnxInference/inputs/telemetry')")]
    [InlineData("SELECT * FROM /messages/* INTO $upstream")]
    [InlineData("select * from /messages/* where sensor = 'a' into $upstream")]
    [InlineData("FROM /messages/* WHERE sensor = 'a' INTO $UPSTREAM")]
    [InlineData("FROM /messages/* INTO brokeredendpoint(\"/modules/m/inputs/i\")")]
    [InlineData("  FROM   /messages/modules/echo/outputs/output1/*\n  WHERE sensor = 'a'\n  INTO $upstream  ")]
    [InlineData("FROM /messages INTO $upstream")]
    [InlineData("FROM /messages/modules/m INTO $upstream")]
    public void Parse_DocumentedRouteForms_Succeed(string text)
    {
        Route route = RouteParser.Parse("r", text);

        Assert.Equal(text, route.Text);
    }

    [Fact]
    public void Parse_SingleQuotedBrokeredEndpoint_IsSameAsDoubleQuoted()
    {
        Route single = RouteParser.Parse("a", "FROM /messages/* INTO BrokeredEndpoint('/modules/m/inputs/i')");
        Route dbl = RouteParser.Parse("b", "FROM /messages/* INTO BrokeredEndpoint(\"/modules/m/inputs/i\")");

        Assert.Equal(dbl.Sink.EndpointId, single.Sink.EndpointId);
    }

    [Fact]
    public void Parse_WithPriorityAndTtl_KeepsThem()
    {
        Route route = RouteParser.Parse("r", "FROM /* INTO $upstream", 3, 600);

        Assert.Equal(3, route.Priority);
        Assert.Equal(600, route.TimeToLiveSecs);
    }

    [Fact]
    public void Parse_PriorityOutOfRange_ThrowsArgumentOutOfRange()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => RouteParser.Parse("r", "FROM /* INTO $upstream", 10, 0));
    }

    public static TheoryData<string, int, int, string> SyntaxErrors => new()
    {
        { "", 1, 1, "expected FROM but found end of route" },
        { "   ", 1, 4, "expected FROM but found end of route" },
        { "TO /messages/* INTO $upstream", 1, 1, "expected FROM but found 'TO'" },
        { "SELECT FROM /messages/* INTO $upstream", 1, 8, "expected '*' after SELECT but found 'FROM'" },
        { "FROM messages/* INTO $upstream", 1, 6, "expected a source path starting with '/' after FROM" },
        { "FROM /foo/* INTO $upstream", 1, 6, "unknown route source '/foo/*'" },
        { "FROM /messages/*/modules INTO $upstream", 1, 16, "'*' is only allowed as the last path segment" },
        { "FROM /messages/mod*les INTO $upstream", 1, 16, "'*' is only allowed as a whole path segment" },
        { "FROM /messages//x INTO $upstream", 1, 16, "expected a path segment or '*' after '/'" },
        { "FROM /messages/* $upstream", 1, 18, "expected WHERE or INTO but found '$upstream'" },
        { "FROM /messages/* WHERE sensor = 'a' INT $upstream", 1, 37, "expected INTO or an operator but found 'INT'" },
        { "FROM /messages/* WHERE INTO $upstream", 1, 24, "expected an expression" },
        { "FROM /messages/*\nWHERE sensor = 'a'\n  AND level = \nINTO $upstream", 4, 1, "expected an expression" },
        { "FROM /messages/*\r\nWHERE (sensor = 'a'\r\nINTO $upstream", 3, 1, "expected ')' to close the '(' at line 2, column 7 but found 'INTO'" },
        { "FROM /messages/* WHERE sensor = 'a INTO $upstream", 1, 33, "unterminated string literal" },
        { "FROM /messages/* WHERE sensor = 'a\\n' INTO $upstream", 1, 35, "invalid escape sequence" },
        { "FROM /messages/* WHERE sensor = @ INTO $upstream", 1, 33, "unexpected character '@'" },
        { "FROM /messages/* WHERE sensor = 'a' /* open INTO $upstream", 1, 37, "unterminated comment" },
        { "FROM /messages/* INTO $downstream", 1, 23, "unknown system endpoint '$downstream'" },
        { "FROM /messages/* INTO Endpoint(\"/modules/m/inputs/i\")", 1, 23, "unknown endpoint 'Endpoint'" },
        { "FROM /messages/* INTO BrokeredEndpoint(\"/modules/m/outputs/o\")", 1, 40, "invalid endpoint \"/modules/m/outputs/o\"" },
        { "FROM /messages/* INTO BrokeredEndpoint(/modules/m/inputs/i)", 1, 40, "expected a quoted endpoint" },
        { "FROM /messages/* INTO BrokeredEndpoint(\"/modules/m/inputs/i\"", 1, 61, "expected ')' after the endpoint but found end of route" },
        { "FROM /messages/* INTO $upstream extra", 1, 33, "expected end of route but found 'extra'" },
        { "FROM /messages/* WHERE $body.a = 1 -x INTO $upstream", 1, 36, "expected INTO or an operator but found '-x'" },
        { "FROM /messages/* WHERE $body.a = 1 -1 INTO $upstream", 1, 36, "expected INTO or an operator but found '-1'" },
        { "FROM /messages/* WHERE $body.t > 0x1FFFFFFFFFFFFFFFF INTO $upstream", 1, 34, "hexadecimal literal is out of range" },
        { "FROM /messages/* WHERE {contentType} = 'a' INTO $upstream", 1, 25, "expected a system property such as $contentType after '{'" },
    };

    [Theory]
    [MemberData(nameof(SyntaxErrors))]
    public void Parse_InvalidRoute_ThrowsWithExactLineAndColumn(string text, int line, int column, string reason)
    {
        var ex = Assert.Throws<RouteSyntaxException>(() => RouteParser.Parse("bad", text));

        Assert.Contains(reason, ex.Reason, StringComparison.Ordinal);
        Assert.Equal((line, column), (ex.Line, ex.Column));
        Assert.Contains($"(line {line}, column {column})", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_MinusGluedToName_IsPartOfThePropertyNameAsInEdgeHub()
    {
        var message = TestMessages.Create(TestMessages.Body, new Dictionary<string, string> { ["a"] = "1", ["-x"] = "1" });

        Route route = RouteParser.Parse("r", "FROM /messages/* WHERE a = -x INTO $upstream");

        Assert.True(route.Condition!.Evaluate(message));
    }

    [Fact]
    public void Parse_RouteLongerThanLimit_Throws()
    {
        string text = "FROM /messages/* WHERE " + string.Concat(Enumerable.Repeat("a = 'b' OR ", 4000)) + "a = 'b' INTO $upstream";

        var ex = Assert.Throws<RouteSyntaxException>(() => RouteParser.Parse("long", text));

        Assert.Contains("too long", ex.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_LongFlatOrChain_IsNotLimitedByNestingDepth()
    {
        string condition = string.Join(" OR ", Enumerable.Range(0, 1000).Select(i => $"sensor = 's{i}'"));

        CompiledCondition compiled = CompiledCondition.Parse(condition);

        Assert.False(compiled.Evaluate(TestMessages.Standard));
    }

    [Theory]
    [InlineData("(", ")")]
    [InlineData("NOT ", "")]
    [InlineData("- ", "")]
    [InlineData("abs(", ")")]
    [InlineData("1 + ", "")]
    public void Parse_NestingDeeperThanLimit_ThrowsSyntaxErrorNotStackOverflow(string open, string close)
    {
        int levels = 100_000;
        string inner = open == "1 + " ? "1 = 1" : open == "- " || open == "abs(" ? "1" : "true";
        string condition = string.Concat(Enumerable.Repeat(open, levels)) + inner + string.Concat(Enumerable.Repeat(close, levels));
        if (open is "- " or "abs(")
        {
            condition += " = 1";
        }

        var ex = Assert.Throws<RouteSyntaxException>(() => RouteParser.ParseCondition(condition.Length > RouteParser.MaxRouteLength ? condition[..RouteParser.MaxRouteLength] : condition));

        Assert.Contains("nested too deeply", ex.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_NestingJustUnderLimit_Succeeds()
    {
        int levels = RouteParser.MaxNestingDepth - 1;
        string condition = new string('(', levels) + "sensor = 'a'" + new string(')', levels);

        Assert.True(CompiledCondition.Parse(condition).Evaluate(TestMessages.Standard));
    }
}
