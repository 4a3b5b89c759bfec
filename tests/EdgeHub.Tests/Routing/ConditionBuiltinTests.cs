using EdgeHub.Routing;

namespace EdgeHub.Tests.Routing;

[Trait("Category", "Unit")]
public class ConditionBuiltinTests
{
    private const ConditionOutcome T = ConditionOutcome.True;
    private const ConditionOutcome F = ConditionOutcome.False;
    private const ConditionOutcome U = ConditionOutcome.Undefined;

    // Every built-in of edgeHub's route compiler with a true, a false and an undefined (wrong type or missing argument) case.
    // Type checks never return undefined: an undefined argument is simply not of the type.
    public static TheoryData<string, ConditionOutcome> Cases => new()
    {
        { "abs($body.neg) = 3.7", T },
        { "abs($body.neg) = -3.7", F },
        { "abs($body.sensor) = 1", U },
        { "exp(0) = 1", T },
        { "exp(1) = 1", F },
        { "exp($body.sensor) = 1", U },
        { "power(2, 10) = 1024", T },
        { "power(2, 2) = 5", F },
        { "power($body.sensor, 2) = 4", U },
        { "power(2, $body.sensor) = 4", U },
        { "square(3) = 9", T },
        { "square(3) = 6", F },
        { "square($body.sensor) = 9", U },
        { "ceiling(1.2) = 2", T },
        { "ceiling(-1.2) = -2", F },
        { "ceiling($body.missing) = 1", U },
        { "floor(1.8) = 1", T },
        { "floor(-1.2) = -1", F },
        { "floor($body.ok) = 1", U },
        { "sign($body.neg) = -1", T },
        { "sign(0) = 1", F },
        { "sign($body.sensor) = 1", U },
        { "sqrt(16) = 4", T },
        { "sqrt(16) = 3", F },
        { "sqrt($body.nothing) = 0", U },
        { "as_number(num) = 42", T },
        { "as_number(num) = 41", F },
        { "as_number(sensor) = 1", U },
        { "as_number($body.text) = 12.5", T },
        { "as_number($body.temperature) = 72.5", T },
        { "as_number(missing) = 1", U },
        { "is_bool($body.ok)", T },
        { "is_bool($body.sensor)", F },
        { "is_bool(missing)", F },
        { "is_defined(sensor)", T },
        { "is_defined(missing)", F },
        { "is_defined($body.nothing)", T },
        { "is_null($body.nothing)", T },
        { "is_null($body.sensor)", F },
        { "is_null(missing)", F },
        { "is_number($body.temperature)", T },
        { "is_number($body.text)", F },
        { "is_number(num)", F },
        { "is_string(sensor)", T },
        { "is_string($body.temperature)", F },
        { "is_string(missing)", F },
        { "concat(sensor, '-', level) = 'a-high'", T },
        { "concat('a', 'b') = 'ba'", F },
        { "concat(sensor, missing) = 'a'", U },
        { "concat(sensor, $body.temperature) = 'a'", U },
        { "length(sensor) = 1", T },
        { "length('abc') = 2", F },
        { "length(missing) = 0", U },
        { "length($body.temperature) = 1", U },
        { "lower('ABC') = 'abc'", T },
        { "lower('ABC') = 'ABC'", F },
        { "lower(missing) = 'x'", U },
        { "upper($body.name) = 'TANK A'", T },
        { "upper('abc') = 'abc'", F },
        { "upper($body.humidity) = '40'", U },
        { "substring('hello', 1) = 'ello'", T },
        { "substring('hello', 1, 3) = 'ell'", T },
        { "substring('hello', 5) = ''", T },
        { "substring('hello', 0, 2) = 'hel'", F },
        { "substring('hello', 9) = ''", U },
        { "substring('hello', 1.5) = 'x'", U },
        { "substring('hello', 2, 9) = 'llo'", U },
        { "substring($body.humidity, 0) = '4'", U },
        { "index_of('hello', 'l') = 2", T },
        { "index_of('hello', 'z') = -1", T },
        { "index_of('hello', 'h') = 1", F },
        { "index_of(missing, 'h') = 0", U },
        { "starts_with($body.name, 'Tank')", T },
        { "starts_with($body.name, 'tank')", F },
        { "starts_with(missing, 'a')", U },
        { "starts_with($body.temperature, '7')", U },
        { "ends_with($body.name, ' A')", T },
        { "ends_with($body.name, 'Tank')", F },
        { "ends_with($body.name, $body.ok)", U },
        { "contains($body.name, 'nk')", T },
        { "contains($body.name, 'NK')", F },
        { "contains($body.obj, 'x')", U },

        // names are case-insensitive, as in edgeHub
        { "IS_DEFINED(sensor)", T },
        { "Upper('a') = 'A'", T },
        { "NOT IS_DEFINED($connectionModuleId)", F },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Evaluate_Builtin_GivesExpectedOutcome(string condition, ConditionOutcome expected)
    {
        CompiledCondition compiled = CompiledCondition.Parse(condition);

        Assert.Equal(expected, compiled.EvaluateOutcome(TestMessages.Standard));
    }

    public static TheoryData<string, string> CompileErrors => new()
    {
        { "sensor > 5", "cannot compare a string with a number" },
        { "sensor = 5", "use as_number" },
        { "NOT sensor = 'b'", "expects booleans but got a string" },
        { "lower(5) = 'a'", "expects a string as argument 1 but got a number" },
        { "abs('x') = 1", "expects a number as argument 1 but got a string" },
        { "abs(1, 2) = 1", "takes 1 argument(s) but got 2" },
        { "concat('a') = 'a'", "takes at least 2 argument(s) but got 1" },
        { "substring('a') = 'a'", "takes 2 to 3 argument(s) but got 1" },
        { "is_object($body.obj)", "not supported by edgeHub routes" },
        { "is_array($body.arr)", "not supported by edgeHub routes" },
        { "trim(sensor) = 'a'", "not supported by edgeHub routes" },
        { "frobnicate(1)", "unknown function 'frobnicate'" },
        { "$twin.tags.site = 'x'", "$twin queries are not supported" },
        { "$body = 1", "$body needs a path" },
        { "$body.a[x] = 1", "invalid $body path" },
        { "$body.a..b = 1", "invalid $body path" },
        { "$messageId[0] = 1", "only allowed in $body paths" },
        { "'abc'", "must be a boolean expression" },
        { "1 + 2", "must be a boolean expression" },
        { "sensor AND true", "expects booleans but got a string" },
        { "true < false", "compares numbers or strings but got a boolean" },
        { "sensor || 1 = 'a1'", "expects strings but got a number" },
        { "'a' - 1 = 0", "expects numbers but got a string" },
        { "$body.temperature > e50", "invalid number 'e50'" },
    };

    [Theory]
    [MemberData(nameof(CompileErrors))]
    public void Parse_StaticTypeOrNameError_ThrowsWithReason(string condition, string reasonPart)
    {
        var ex = Assert.Throws<RouteSyntaxException>(() => CompiledCondition.Parse(condition));

        Assert.Contains(reasonPart, ex.Reason, StringComparison.Ordinal);
    }
}
