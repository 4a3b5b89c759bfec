using System.Net;
using System.Security.Cryptography;
using System.Text;
using EdgeKit.Auth;

namespace EdgeKit.Tests.Auth;

[Trait("Category", "Unit")]
public class SharedAccessSignatureTests
{
    private static readonly byte[] s_key = Convert.FromBase64String("c2VjcmV0LWtleS1mb3ItdGVzdHMtMDEyMzQ1Njc4OWFiY2RlZg==");
    private static readonly DateTimeOffset s_expiry = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);

    [Fact]
    public void Create_ForModuleResource_ProducesSdkFormatWithIndependentlyComputedSignature()
    {
        string token = SharedAccessSignature.Create("myhub.azure-devices.net/devices/dev1/modules/mod1", s_key, s_expiry);

        // Computed here without EdgeKit: sr is url-encoded, the signed string is "{sr}\n{se}".
        const string sr = "myhub.azure-devices.net%2Fdevices%2Fdev1%2Fmodules%2Fmod1";
        string sig = Convert.ToBase64String(HMACSHA256.HashData(s_key, Encoding.UTF8.GetBytes(sr + "\n1800000000")));
        Assert.Equal($"SharedAccessSignature sr={sr}&sig={WebUtility.UrlEncode(sig)}&se=1800000000", token);
    }

    [Fact]
    public void Create_WithKeyName_AppendsSknLast()
    {
        string token = SharedAccessSignature.Create("hub/devices/d", s_key, s_expiry, "iothubowner");
        Assert.EndsWith("&se=1800000000&skn=iothubowner", token, StringComparison.Ordinal);
        Assert.StartsWith("SharedAccessSignature sr=hub%2Fdevices%2Fd&sig=", token, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_SignatureWithPlusAndSlash_IsUrlEncoded()
    {
        // Find an expiry whose signature contains '+', '/' or '=' and check they are escaped.
        for (long se = 1_800_000_000; se < 1_800_000_100; se++)
        {
            string token = SharedAccessSignature.Create("hub/devices/d", s_key, DateTimeOffset.FromUnixTimeSeconds(se));
            string sigField = token.Split('&')[1];
            Assert.DoesNotContain('+', sigField);
            Assert.DoesNotContain('/', sigField);
            Assert.Equal(1, sigField.Count(c => c == '='));
        }
    }

    [Fact]
    public void TryParse_RoundTripsCreatedToken()
    {
        string token = SharedAccessSignature.Create("hub/devices/d/modules/m", s_key, s_expiry, "k");
        Assert.True(SharedAccessSignature.TryParse(token, out SasToken parsed, out string? error), error);
        Assert.Equal("hub/devices/d/modules/m", parsed.Resource);
        Assert.Equal("hub%2Fdevices%2Fd%2Fmodules%2Fm", parsed.EncodedResource);
        Assert.Equal(1_800_000_000, parsed.ExpiresOn);
        Assert.Equal(s_expiry, parsed.ExpiresAt);
        Assert.Equal("k", parsed.KeyName);
    }

    [Theory]
    [InlineData("")]
    [InlineData("Bearer abc")]
    [InlineData("SharedAccessSignature sr=a&se=1")]
    [InlineData("SharedAccessSignature sr=a&sig=AAAA&se=1")]
    [InlineData("SharedAccessSignature sr=a&sig=%%%&se=x")]
    [InlineData("SharedAccessSignature sr=a&sig=abc&se=1&zz=1")]
    [InlineData("SharedAccessSignature &&&")]
    public void TryParse_Malformed_ReturnsFalseWithError(string token)
    {
        Assert.False(SharedAccessSignature.TryParse(token, out _, out string? error));
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Fact]
    public void Verify_ValidToken_True_ExpiredOrWrongKeyOrTampered_False()
    {
        string token = SharedAccessSignature.Create("hub/devices/d/modules/m", s_key, s_expiry);
        Assert.True(SharedAccessSignature.TryParse(token, out SasToken parsed, out _));
        DateTimeOffset before = s_expiry.AddMinutes(-1);

        Assert.True(SharedAccessSignature.Verify(parsed, s_key, before));
        Assert.False(SharedAccessSignature.Verify(parsed, s_key, s_expiry));
        Assert.False(SharedAccessSignature.Verify(parsed, new byte[32], before));
        Assert.False(SharedAccessSignature.Verify(parsed with { ExpiresOn = parsed.ExpiresOn + 3600 }, s_key, before));
        Assert.False(SharedAccessSignature.Verify(parsed with { EncodedResource = "hub%2Fdevices%2Fother" }, s_key, before));
    }

    [Fact]
    public async Task CreateAsync_WithKeyProvider_EqualsCreate()
    {
        var provider = new KeySignatureProvider(Convert.ToBase64String(s_key));
        string viaProvider = await SharedAccessSignature.CreateAsync("hub/devices/d", provider, s_expiry, CancellationToken.None);
        Assert.Equal(SharedAccessSignature.Create("hub/devices/d", s_key, s_expiry), viaProvider);
    }
}
