using System.Text;
using EdgeHub.Messaging;
using EdgeHub.Routing;
using EdgeKit.Protocol;

namespace EdgeHub.Tests.Routing;

[Trait("Category", "Unit")]
public class BodyQueryTests
{
    private static readonly CompiledCondition Hot = CompiledCondition.Parse("$body.temperature > 50");

    private static HubMessage WithBody(byte[] body, string? contentType = "application/json", string? encoding = "utf-8")
    {
        var system = new Dictionary<string, string>();
        if (contentType is not null)
        {
            system[SystemPropertyNames.ContentType] = contentType;
        }

        if (encoding is not null)
        {
            system[SystemPropertyNames.ContentEncoding] = encoding;
        }

        return TestMessages.Create(body, systemProperties: system);
    }

    [Theory]
    [InlineData("utf-8")]
    [InlineData("UTF-8")]
    [InlineData("utf-16")]
    [InlineData("utf-32")]
    public void Evaluate_JsonBodyInSupportedEncoding_ReadsBody(string encoding)
    {
        Encoding codec = encoding.ToUpperInvariant() switch
        {
            "UTF-16" => Encoding.Unicode,
            "UTF-32" => Encoding.UTF32,
            _ => Encoding.UTF8,
        };

        Assert.True(Hot.Evaluate(WithBody(codec.GetBytes(TestMessages.Body), encoding: encoding)));
    }

    [Fact]
    public void Evaluate_Utf8BodyWithByteOrderMark_ReadsBody()
    {
        byte[] body = [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes("""{"temperature": 60}""")];

        Assert.True(Hot.Evaluate(WithBody(body)));
    }

    [Fact]
    public void Evaluate_ContentTypeWithCharsetParameter_ReadsBody()
    {
        Assert.True(Hot.Evaluate(WithBody(Encoding.UTF8.GetBytes("""{"temperature": 60}"""), contentType: "application/json; charset=utf-8")));
    }

    [Theory]
    [InlineData("text/plain", "utf-8")]
    [InlineData(null, "utf-8")]
    [InlineData("application/json", null)]
    [InlineData("application/json", "gzip")]
    public void Evaluate_BodyNotDeclaredAsJson_IsUndefined(string? contentType, string? encoding)
    {
        HubMessage message = WithBody(Encoding.UTF8.GetBytes("""{"temperature": 60}"""), contentType, encoding);

        Assert.Equal(ConditionOutcome.Undefined, Hot.EvaluateOutcome(message));
    }

    [Fact]
    public void Evaluate_MalformedJson_IsErrorAndCounted()
    {
        var condition = CompiledCondition.Parse("$body.temperature > 50");
        HubMessage message = WithBody(Encoding.UTF8.GetBytes("""{"humidity": 4x, "temperature": 60}"""));

        Assert.Equal(ConditionOutcome.Error, condition.EvaluateOutcome(message));
        Assert.False(condition.Evaluate(message));
        Assert.Equal(1, condition.ErrorCount);
    }

    [Fact]
    public void Evaluate_ErrorInOneBranchButOtherBranchTrue_Matches()
    {
        var condition = CompiledCondition.Parse("$body.temperature > 50 OR sensor = 'a'");
        HubMessage message = WithBody(Encoding.UTF8.GetBytes("{not json"));

        Assert.Equal(ConditionOutcome.True, condition.EvaluateOutcome(message));
    }

    [Theory]
    [InlineData("[1, 2, 3]")]
    [InlineData("42")]
    [InlineData("")]
    public void Evaluate_BodyThatIsNotAnObject_IsUndefined(string body)
    {
        Assert.False(Hot.Evaluate(WithBody(Encoding.UTF8.GetBytes(body))));
    }

    [Fact]
    public void Evaluate_EscapedPropertyNameInJson_Matches()
    {
        Assert.True(Hot.Evaluate(WithBody(Encoding.UTF8.GetBytes("""{"temp\u0065rature": 60}"""))));
    }

    [Fact]
    public void Evaluate_DuplicateJsonProperty_UsesFirst()
    {
        Assert.True(Hot.Evaluate(WithBody(Encoding.UTF8.GetBytes("""{"temperature": 60, "temperature": 1}"""))));
    }

    [Fact]
    public void Evaluate_ValueAfterLargeSkippedSiblings_IsFound()
    {
        string filler = string.Join(",", Enumerable.Range(0, 200).Select(i => $"\"k{i}\": {{\"a\": [1, 2, {{\"b\": \"temperature\"}}]}}"));
        byte[] body = Encoding.UTF8.GetBytes("{" + filler + ", \"temperature\": 99}");

        Assert.True(Hot.Evaluate(WithBody(body)));
    }

    [Fact]
    public void Evaluate_BodyPathIsCaseSensitive()
    {
        Assert.False(Hot.Evaluate(WithBody(Encoding.UTF8.GetBytes("""{"Temperature": 60}"""))));
    }
}
