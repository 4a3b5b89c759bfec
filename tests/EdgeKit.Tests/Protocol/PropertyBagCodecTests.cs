using EdgeKit.Protocol;

namespace EdgeKit.Tests.Protocol;

[Trait("Category", "Unit")]
public class PropertyBagCodecTests
{
    private static (Dictionary<string, string> App, Dictionary<string, string> Sys) Decode(string bag)
    {
        var app = new Dictionary<string, string>();
        var sys = new Dictionary<string, string>();
        Assert.True(PropertyBagCodec.TryDecode(bag, app, sys, out string? error), error);
        return (app, sys);
    }

    [Fact]
    public void Decode_SdkSample_MapsSystemPropertiesAndKeysWithoutValue()
    {
        // The shape of the SDK's UrlEncodedDictionarySerializerTests sample.
        (var app, var sys) = Decode("%24.to=%2Fdevices%2FdelMe%2Fmessages%2FdeviceBound&%24.cid&%24.uid&iothub-ack=full&custom=a%20b");
        Assert.Equal("/devices/delMe/messages/deviceBound", sys[SystemPropertyNames.To]);
        Assert.Equal(string.Empty, sys[SystemPropertyNames.CorrelationId]);
        Assert.Equal(string.Empty, sys[SystemPropertyNames.UserId]);
        Assert.Equal("full", sys[SystemPropertyNames.Ack]);
        Assert.Equal("a b", app["custom"]);
    }

    [Theory]
    [InlineData("$.mid", SystemPropertyNames.MessageId)]
    [InlineData("$.cid", SystemPropertyNames.CorrelationId)]
    [InlineData("$.uid", SystemPropertyNames.UserId)]
    [InlineData("$.to", SystemPropertyNames.To)]
    [InlineData("$.ct", SystemPropertyNames.ContentType)]
    [InlineData("$.ce", SystemPropertyNames.ContentEncoding)]
    [InlineData("$.on", SystemPropertyNames.OutputName)]
    [InlineData("$.cdid", SystemPropertyNames.ConnectionDeviceId)]
    [InlineData("$.cmid", SystemPropertyNames.ConnectionModuleId)]
    [InlineData("$.exp", SystemPropertyNames.ExpiryTimeUtc)]
    [InlineData("$.ctime", SystemPropertyNames.CreationTimeUtc)]
    [InlineData("$.schema", SystemPropertyNames.MessageSchema)]
    [InlineData("$.ifid", SystemPropertyNames.InterfaceId)]
    [InlineData("$.sub", SystemPropertyNames.ComponentName)]
    [InlineData("$.diagid", SystemPropertyNames.DiagId)]
    [InlineData("$.diagctx", SystemPropertyNames.DiagCorrelationContext)]
    public void SystemProperty_EncodesToWireNameAndDecodesBack(string wire, string name)
    {
        string bag = PropertyBagCodec.Encode([new(name, "v/1")], null);
        Assert.Equal(Uri.EscapeDataString(wire) + "=v%2F1", bag);
        (var app, var sys) = Decode(bag);
        Assert.Empty(app);
        Assert.Equal("v/1", sys[name]);
    }

    [Fact]
    public void Encode_SystemThenApp_EscapesReservedCharacters()
    {
        string bag = PropertyBagCodec.Encode(
            [new(SystemPropertyNames.MessageId, "m 1"), new(SystemPropertyNames.OutputName, "telemetry")],
            [new("a b", "c&d=e/f"), new("empty", ""), new("ü", "€+%")]);
        Assert.Equal("%24.mid=m%201&%24.on=telemetry&a%20b=c%26d%3De%2Ff&empty=&%C3%BC=%E2%82%AC%2B%25", bag);

        (var app, var sys) = Decode(bag);
        Assert.Equal("m 1", sys[SystemPropertyNames.MessageId]);
        Assert.Equal("telemetry", sys[SystemPropertyNames.OutputName]);
        Assert.Equal("c&d=e/f", app["a b"]);
        Assert.Equal(string.Empty, app["empty"]);
        Assert.Equal("€+%", app["ü"]);
    }

    [Fact]
    public void Encode_Nothing_IsEmpty() => Assert.Equal(string.Empty, PropertyBagCodec.Encode(null, []));

    [Fact]
    public void Encode_UnknownSystemProperty_Throws()
        => Assert.Throws<ArgumentException>(() => PropertyBagCodec.Encode([new("nope", "x")], null));

    [Fact]
    public void Decode_StopsAtSlash_AndUnknownDollarKeysAreApplicationProperties()
    {
        (var app, var sys) = Decode("%24.foo=1&k=v/ignored=1");
        Assert.Equal("1", app["$.foo"]);
        Assert.Equal("v", app["k"]);
        Assert.False(app.ContainsKey("ignored"));
        Assert.Empty(sys);
    }

    [Fact]
    public void Decode_EmptyAndDuplicate_LastWins()
    {
        (var app, _) = Decode("");
        Assert.Empty(app);
        (app, _) = Decode("k=1&k=2");
        Assert.Equal("2", app["k"]);
        (app, _) = Decode("plus=a+b");
        Assert.Equal("a+b", app["plus"]);
    }

    [Theory]
    [InlineData("=v", "'='")]
    [InlineData("&k=v", "'&'")]
    [InlineData("k=v&", "end")]
    [InlineData("k=v&&k2", "'&'")]
    [InlineData("k=v=w", "'='")]
    [InlineData("k=%2", "Truncated")]
    [InlineData("k=%zz", "Invalid percent-escape")]
    [InlineData("k=%C3%28", "UTF-8")]
    [InlineData("%ff=1", "UTF-8")]
    public void Decode_Invalid_ReturnsFalseWithClearError(string bag, string expected)
    {
        Assert.False(PropertyBagCodec.TryDecode(bag, new Dictionary<string, string>(), new Dictionary<string, string>(), out string? error));
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_RandomAndTruncatedInput_NeverThrows()
    {
        var random = new Random(20261125);
        const string alphabet = "ab$.=&%/+ 0129fFzZ\u00e9\ud83d\ude00";
        int ok = 0, failed = 0;
        for (int i = 0; i < 5000; i++)
        {
            char[] chars = new char[random.Next(0, 40)];
            for (int c = 0; c < chars.Length; c++)
            {
                chars[c] = random.Next(10) == 0 ? (char)random.Next(0, 0xFFFF) : alphabet[random.Next(alphabet.Length)];
            }

            var app = new Dictionary<string, string>();
            var sys = new Dictionary<string, string>();
            if (PropertyBagCodec.TryDecode(chars, app, sys, out string? error))
            {
                ok++;
            }
            else
            {
                Assert.False(string.IsNullOrEmpty(error));
                failed++;
            }
        }

        // Every prefix of a valid, escaped bag decodes or fails cleanly.
        string valid = PropertyBagCodec.Encode([new(SystemPropertyNames.MessageId, "ü/€")], [new("k&=", "v=&/%"), new("x", "")]);
        for (int length = 0; length <= valid.Length; length++)
        {
            _ = PropertyBagCodec.TryDecode(valid.AsSpan(0, length), new Dictionary<string, string>(), new Dictionary<string, string>(), out _);
        }

        Assert.True(ok > 0 && failed > 0);
    }

    [Fact]
    public void EncodeDecode_RandomProperties_RoundTrip()
    {
        var random = new Random(7);
        for (int i = 0; i < 2000; i++)
        {
            var app = new Dictionary<string, string>();
            for (int p = random.Next(1, 5); p > 0; p--)
            {
                app["k" + RandomText(random)] = RandomText(random);
            }

            string bag = PropertyBagCodec.Encode([new(SystemPropertyNames.CorrelationId, RandomText(random))], app);
            var decodedApp = new Dictionary<string, string>();
            var decodedSys = new Dictionary<string, string>();
            Assert.True(PropertyBagCodec.TryDecode(bag, decodedApp, decodedSys, out string? error), error);
            Assert.Equal(app, decodedApp);
        }
    }

    private static string RandomText(Random random)
    {
        const string chars = "aZ09 &=/%+$.-_~?#ü€\u00a0";
        return new string(Enumerable.Range(0, random.Next(0, 12)).Select(_ => chars[random.Next(chars.Length)]).ToArray());
    }
}
