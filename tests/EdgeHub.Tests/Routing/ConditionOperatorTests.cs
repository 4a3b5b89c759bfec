using EdgeHub.Routing;

namespace EdgeHub.Tests.Routing;

[Trait("Category", "Unit")]
public class ConditionOperatorTests
{
    private const ConditionOutcome T = ConditionOutcome.True;
    private const ConditionOutcome F = ConditionOutcome.False;
    private const ConditionOutcome U = ConditionOutcome.Undefined;

    public static TheoryData<string, ConditionOutcome> Cases => new()
    {
        // = (no coercion between types: a mismatch at run time is undefined)
        { "sensor = 'a'", T },
        { "sensor = 'b'", F },
        { "missing = 'a'", U },
        { "$body.temperature = 72.5", T },
        { "$body.sensor = 5", U },
        { "$body.text = 12.5", U },
        { "$body.nothing = null", T },
        { "$body.temperature = null", F },
        { "$body.missing = null", U },
        { "$body.ok = true", T },
        { "$body.off = true", F },
        { "$body.ok = 'true'", U },

        // != and <>
        { "sensor != 'b'", T },
        { "sensor != 'a'", F },
        { "missing != 'a'", U },
        { "sensor <> 'b'", T },
        { "$body.temperature <> 72.5", F },
        { "$body.nothing != null", F },
        { "$body.temperature != null", T },
        { "$body.sensor <> 1", U },

        // < <= > >= on numbers and (ordinal) strings
        { "$body.humidity < 50", T },
        { "$body.humidity < 40", F },
        { "$body.missing < 5", U },
        { "$body.sensor < 5", U },
        { "'a' < 'b'", T },
        { "sensor < 'a'", F },
        { "'B' < 'a'", T },
        { "$body.humidity <= 40", T },
        { "$body.humidity <= 39.9", F },
        { "$body.missing <= 40", U },
        { "$body.temperature > 50", T },
        { "$body.temperature > 72.5", F },
        { "$body.name > 50", U },
        { "$body.temperature >= 72.5", T },
        { "$body.temperature >= 73", F },
        { "$body.nothing >= 1", U },
        { "$body.ok > $body.off", U },

        // + - * / %
        { "$body.humidity + 2 = 42", T },
        { "$body.humidity + 2 = 41", F },
        { "$body.sensor + 2 = 42", U },
        { "$body.humidity - 2 = 38", T },
        { "1 - 1 = 1", F },
        { "$body.humidity - $body.missing = 38", U },
        { "$body.humidity * 2 = 80", T },
        { "$body.humidity * 2 = 81", F },
        { "$body.humidity * $body.ok = 1", U },
        { "$body.humidity / 4 = 10", T },
        { "$body.humidity / 3 = 13", F },
        { "$body.text / 2 = 6.25", U },
        { "$body.humidity % 7 = 5", T },
        { "$body.humidity % 7 = 0", F },
        { "$body.nothing % 7 = 0", U },

        // unary minus
        { "- $body.neg = 3.7", T },
        { "- $body.neg = -3.7", F },
        { "- $body.sensor = 1", U },

        // || (string concatenation)
        { "sensor || 'b' = 'ab'", T },
        { "sensor || 'b' = 'ba'", F },
        { "$body.temperature || 'x' = 'x'", U },

        // AND / OR / NOT, three-valued
        { "sensor = 'a' AND level = 'high'", T },
        { "sensor = 'a' AND level = 'low'", F },
        { "sensor = 'a' AND missing = 'x'", U },
        { "sensor = 'b' AND missing = 'x'", F },
        { "missing = 'x' AND sensor = 'b'", F },
        { "sensor = 'b' OR level = 'high'", T },
        { "sensor = 'b' OR level = 'low'", F },
        { "missing = 'x' OR sensor = 'a'", T },
        { "missing = 'x' OR sensor = 'b'", U },
        { "NOT (sensor = 'b')", T },
        { "NOT (sensor = 'a')", F },
        { "NOT (missing = 'a')", U },
        { "NOT $body.off", T },
        { "NOT $body.ok", F },
        { "NOT $body.sensor", U },
        { "sensor = 'a' and level = 'high'", T },
        { "not (sensor = 'b')", T },
        { "sensor = 'b' Or level = 'high'", T },

        // ?? (coalesce: null is a value, only undefined falls through)
        { "(missing ?? 'x') = 'x'", T },
        { "(sensor ?? 'x') = 'x'", F },
        { "(missing ?? other) = 'x'", U },
        { "is_null($body.nothing ?? 5)", T },
        { "($body.missing ?? 5) = 5", T },

        // literals
        { "true", T },
        { "false", F },
        { "undefined", U },
        { "0x1F = 31", T },
        { "0X10 = 15", F },
        { "1.5e1 = 15", T },
        { "-5 < 0", T },
        { ".5 = 0.5", T },
        { "'it\\'s' = \"it's\"", T },
        { "'\\u0041' = 'A'", T },
        { "\"a\\\\b\" = 'a\\\\b'", T },
        { "sensor = 'a' /* a comment */", T },

        // precedence: * before +, AND before OR, parentheses
        { "1 + 2 * 3 = 7", T },
        { "(1 + 2) * 3 = 9", T },
        { "true OR false AND false", T },
        { "false AND false OR true", T },
        { "(true OR false) AND false", F },
        { "10 - 2 - 3 = 5", T },
        { "12 / 2 / 3 = 2", T },

        // system properties, $name and {$name}
        { "$connectionModuleId = 'tempSensor'", T },
        { "$connectionDeviceId = 'dev2'", F },
        { "$correlationId = 'x'", U },
        { "$outputName = 'temperatureOutput'", T },
        { "$messageId = 'm1'", T },
        { "$ContentType = 'application/json'", T },
        { "$contentEncoding = 'utf-8'", T },
        { "{$contentType} = 'application/json'", T },
        { "is_defined($connectionModuleId)", T },

        // $body paths
        { "$body.obj.inner.y = 'deep'", T },
        { "$body.obj.x = 1", T },
        { "$body.arr[0] = 10", T },
        { "$body.arr[1] = 'two'", T },
        { "$body.arr[2].z = 3", T },
        { "$body.arr[5] = 1", U },
        { "$body.obj.missing.deeper = 1", U },
        { "$body.temperature.x = 1", U },
        { "$body.empty = ''", T },
        { "is_defined($body.obj)", F },
        { "is_defined($body.arr)", F },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Evaluate_Operator_GivesExpectedOutcome(string condition, ConditionOutcome expected)
    {
        CompiledCondition compiled = CompiledCondition.Parse(condition);

        Assert.Equal(expected, compiled.EvaluateOutcome(TestMessages.Standard));
        Assert.Equal(expected == T, compiled.Evaluate(TestMessages.Standard));
    }

    [Fact]
    public void Evaluate_NonBooleanBodyValue_IsNotBooleanAndDoesNotMatch()
    {
        CompiledCondition compiled = CompiledCondition.Parse("$body.sensor");

        Assert.Equal(ConditionOutcome.NotBoolean, compiled.EvaluateOutcome(TestMessages.Standard));
        Assert.False(compiled.Evaluate(TestMessages.Standard));
        Assert.Equal(1, compiled.UndefinedCount);
    }

    [Fact]
    public void Evaluate_UndefinedResult_IsCounted()
    {
        CompiledCondition compiled = CompiledCondition.Parse("missing = 'x'");

        Assert.False(compiled.Evaluate(TestMessages.Standard));
        Assert.False(compiled.Evaluate(TestMessages.Standard));

        Assert.Equal(2, compiled.UndefinedCount);
        Assert.Equal(0, compiled.ErrorCount);
    }

    [Fact]
    public void Evaluate_AppPropertyNamedLikeSystemProperty_WinsOverSystemPropertyUnlessEscaped()
    {
        var message = TestMessages.Create(TestMessages.Body, new Dictionary<string, string> { ["$messageId"] = "app" });

        Assert.True(CompiledCondition.Parse("$messageId = 'app'").Evaluate(message));
        Assert.True(CompiledCondition.Parse("{$messageId} = 'm1'").Evaluate(message));
    }

    [Fact]
    public void Evaluate_AppPropertyNamedLikeBodyPath_WinsOverBodyUnlessEscaped()
    {
        var message = TestMessages.Create(TestMessages.Body, new Dictionary<string, string> { ["$body.sensor"] = "app" });

        Assert.True(CompiledCondition.Parse("$body.sensor = 'app'").Evaluate(message));
        Assert.True(CompiledCondition.Parse("{$body.sensor} = 'a'").Evaluate(message));
    }

    [Fact]
    public void Evaluate_PropertyNamesContainingOperatorCharacters_AreOnePropertyAsInEdgeHub()
    {
        // edgeHub's lexer lets identifiers contain '-', '+', '*': "a-b" is a property, "a - b" is a subtraction.
        var message = TestMessages.Create(TestMessages.Body, new Dictionary<string, string> { ["content-type"] = "x" });

        Assert.True(CompiledCondition.Parse("content-type = 'x'").Evaluate(message));
    }

    [Fact]
    public void Evaluate_NotBindsTighterThanComparison_AsInEdgeHubGrammar()
    {
        // NOT $body.off = false parses as (NOT $body.off) = false.
        Assert.Equal(ConditionOutcome.False, CompiledCondition.Parse("NOT $body.off = false").EvaluateOutcome(TestMessages.Standard));
        Assert.Equal(ConditionOutcome.True, CompiledCondition.Parse("NOT ($body.off = true)").EvaluateOutcome(TestMessages.Standard));
    }
}
