using EdgeKit.Protocol;

namespace EdgeKit.Tests.Protocol;

[Trait("Category", "Unit")]
public class TopicsTests
{
    [Fact]
    public void Builders_ProduceExactTopics()
    {
        Assert.Equal("devices/d1/modules/m1/messages/events/", Topics.Event("d1", "m1", ""));
        Assert.Equal("devices/d1/modules/m1/messages/events/%24.on=out1&a=b/", Topics.Event("d1", "m1", "%24.on=out1&a=b"));
        Assert.Equal("devices/d1/modules/m1/#", Topics.ModuleFilter("d1", "m1"));
        Assert.Equal("devices/d1/modules/m1/inputs/in1/a=b/", Topics.Input("d1", "m1", "in1", "a=b"));
        Assert.Equal("$iothub/twin/GET/?$rid=5", Topics.TwinGet("5"));
        Assert.Equal("$iothub/twin/PATCH/properties/reported/?$rid=6", Topics.TwinReportedPatch("6"));
        Assert.Equal("$iothub/twin/res/204/?$rid=6&$version=12", Topics.TwinResponse(204, "6", 12));
        Assert.Equal("$iothub/twin/res/200/?$rid=5", Topics.TwinResponse(200, "5"));
        Assert.Equal("$iothub/twin/PATCH/properties/desired/?$version=3", Topics.TwinDesiredPatch(3));
        Assert.Equal("$iothub/methods/POST/reboot/?$rid=abc", Topics.MethodRequest("reboot", "abc"));
        Assert.Equal("$iothub/methods/res/200/?$rid=abc", Topics.MethodResponse(200, "abc"));
        Assert.Equal("$iothub/twin/res/#", Topics.TwinResponseFilter);
        Assert.Equal("$iothub/twin/PATCH/properties/desired/#", Topics.TwinDesiredPatchFilter);
        Assert.Equal("$iothub/methods/POST/#", Topics.MethodRequestFilter);
    }

    [Theory]
    [InlineData("devices/d1/modules/m1/inputs/in1/%24.mid=x&a=b/", TopicKind.Input, "in1", "%24.mid=x&a=b")]
    [InlineData("devices/d1/modules/m1/inputs/in1/", TopicKind.Input, "in1", "")]
    [InlineData("devices/d1/modules/m1/inputs/in1", TopicKind.Input, "in1", "")]
    [InlineData("devices/d1/modules/m1/messages/events/a=b/", TopicKind.Event, null, "a=b")]
    [InlineData("devices/d1/modules/m1/messages/events/", TopicKind.Event, null, "")]
    public void TryParse_ModuleTopics(string topic, TopicKind kind, string? name, string bag)
    {
        Assert.True(Topics.TryParse(topic, out ParsedTopic parsed, out string? error), error);
        Assert.Equal(kind, parsed.Kind);
        Assert.Equal("d1", parsed.DeviceId);
        Assert.Equal("m1", parsed.ModuleId);
        Assert.Equal(name, parsed.Name);
        Assert.Equal(bag, parsed.PropertyBag);
    }

    [Fact]
    public void TryParse_TwinAndMethodTopics()
    {
        Assert.True(Topics.TryParse("$iothub/twin/res/204/?$rid=9&$version=42", out ParsedTopic p, out _));
        Assert.Equal((TopicKind.TwinResponse, 204, "9", 42L), (p.Kind, p.Status!.Value, p.RequestId, p.Version!.Value));

        Assert.True(Topics.TryParse("$iothub/twin/PATCH/properties/desired/?$version=7", out p, out _));
        Assert.Equal((TopicKind.TwinDesiredPatch, 7L), (p.Kind, p.Version!.Value));

        Assert.True(Topics.TryParse("$iothub/twin/GET/?$rid=1", out p, out _));
        Assert.Equal((TopicKind.TwinGet, "1"), (p.Kind, p.RequestId));

        Assert.True(Topics.TryParse("$iothub/twin/PATCH/properties/reported/?$rid=2", out p, out _));
        Assert.Equal((TopicKind.TwinReportedPatch, "2"), (p.Kind, p.RequestId));

        Assert.True(Topics.TryParse("$iothub/methods/POST/reboot/?$rid=abc", out p, out _));
        Assert.Equal((TopicKind.MethodRequest, "reboot", "abc"), (p.Kind, p.Name, p.RequestId));

        Assert.True(Topics.TryParse("$iothub/methods/res/500/?$rid=abc", out p, out _));
        Assert.Equal((TopicKind.MethodResponse, 500, "abc"), (p.Kind, p.Status!.Value, p.RequestId));
    }

    [Theory]
    [InlineData("foo/bar")]
    [InlineData("devices/d1/modules/m1/inputs//")]
    [InlineData("devices/d1/modules/m1/inputs/")]
    [InlineData("devices/d1/things/m1/inputs/x/")]
    [InlineData("devices/d1/modules/m1/messages/other/")]
    [InlineData("$iothub/twin/res/abc/?$rid=1")]
    [InlineData("$iothub/twin/res/200/?$version=1")]
    [InlineData("$iothub/twin/res/200/?$rid=1&$version=x")]
    [InlineData("$iothub/twin/res/200/$rid=1")]
    [InlineData("$iothub/twin/GET/")]
    [InlineData("$iothub/methods/POST//?$rid=1")]
    [InlineData("$iothub/methods/POST/m/")]
    [InlineData("$iothub/methods/res/x/?$rid=1")]
    [InlineData("$iothub/twin/DELETE/?$rid=1")]
    public void TryParse_Invalid_ReturnsFalseWithError(string topic)
    {
        Assert.False(Topics.TryParse(topic, out _, out string? error));
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Fact]
    public void TryParse_RandomAndTruncatedTopics_NeverThrow()
    {
        var random = new Random(42);
        string[] seeds =
        [
            "devices/d1/modules/m1/inputs/in1/%24.mid=x&a=b/",
            "$iothub/twin/res/204/?$rid=9&$version=42",
            "$iothub/methods/POST/reboot/?$rid=abc",
            "$iothub/twin/PATCH/properties/desired/?$version=7",
        ];
        foreach (string seed in seeds)
        {
            for (int length = 0; length <= seed.Length; length++)
            {
                _ = Topics.TryParse(seed.AsSpan(0, length), out _, out _);
            }
        }

        for (int i = 0; i < 5000; i++)
        {
            char[] chars = seeds[random.Next(seeds.Length)].ToCharArray();
            for (int m = random.Next(1, 4); m > 0; m--)
            {
                chars[random.Next(chars.Length)] = "/?&=%$#+x9"[random.Next(10)];
            }

            if (!Topics.TryParse(chars, out _, out string? error))
            {
                Assert.False(string.IsNullOrEmpty(error));
            }
        }
    }
}
