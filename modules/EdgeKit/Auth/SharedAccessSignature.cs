using System.Buffers;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace EdgeKit.Auth;

/// <summary>A parsed <c>SharedAccessSignature</c> token.</summary>
/// <param name="Resource">The decoded resource URI (<c>sr</c>), e.g. <c>hub/devices/d/modules/m</c>.</param>
/// <param name="EncodedResource">The <c>sr</c> field as it appears in the token (the signed form).</param>
/// <param name="Signature">The decoded base64 signature (<c>sig</c>).</param>
/// <param name="ExpiresOn">Expiry in Unix seconds (<c>se</c>).</param>
/// <param name="KeyName">The optional policy name (<c>skn</c>).</param>
public readonly record struct SasToken(string Resource, string EncodedResource, string Signature, long ExpiresOn, string? KeyName)
{
    /// <summary>The expiry as a point in time.</summary>
    public DateTimeOffset ExpiresAt => DateTimeOffset.FromUnixTimeSeconds(ExpiresOn);
}

/// <summary>
/// Creates, parses and verifies IoT Hub shared access signatures:
/// <c>SharedAccessSignature sr={urlenc(resource)}&amp;sig={urlenc(base64(HMACSHA256(key, urlenc(resource) + "\n" + se)))}&amp;se={se}[&amp;skn={name}]</c>.
/// Field order and encoding (<see cref="WebUtility.UrlEncode(string)"/>) follow azure-iot-sdk-csharp <c>SharedAccessSignatureBuilder</c>.
/// </summary>
public static class SharedAccessSignature
{
    /// <summary>The token's scheme prefix.</summary>
    public const string Scheme = "SharedAccessSignature";

    /// <summary>Creates a token signed with <paramref name="key"/> (the decoded shared access key).</summary>
    public static string Create(string resourceUri, ReadOnlySpan<byte> key, DateTimeOffset expiresAt, string? keyName = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(resourceUri);
        long expiry = expiresAt.ToUnixTimeSeconds();
        string signature = Sign(key, BuildStringToSign(resourceUri, expiry));
        return Format(resourceUri, signature, expiry, keyName);
    }

    /// <summary>Creates a token whose signature comes from a signing service (for example the IoT Edge workload API).</summary>
    public static async Task<string> CreateAsync(string resourceUri, ISignatureProvider signer, DateTimeOffset expiresAt, CancellationToken cancellationToken, string? keyName = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(resourceUri);
        ArgumentNullException.ThrowIfNull(signer);
        long expiry = expiresAt.ToUnixTimeSeconds();
        string signature = await signer.SignAsync(BuildStringToSign(resourceUri, expiry), cancellationToken).ConfigureAwait(false);
        return Format(resourceUri, signature, expiry, keyName);
    }

    /// <summary>The string that is signed: <c>{urlenc(resource)}\n{expiry}</c>.</summary>
    public static string BuildStringToSign(string resourceUri, long expiryUnixSeconds)
        => string.Create(CultureInfo.InvariantCulture, $"{WebUtility.UrlEncode(resourceUri)}\n{expiryUnixSeconds}");

    /// <summary>Base64 HMAC-SHA256 of the UTF-8 bytes of <paramref name="data"/>.</summary>
    public static string Sign(ReadOnlySpan<byte> key, string data)
    {
        ArgumentNullException.ThrowIfNull(data);
        Span<byte> hash = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(data), hash);
        return Convert.ToBase64String(hash);
    }

    /// <summary>Parses a token. Never throws on malformed input.</summary>
    public static bool TryParse(string token, out SasToken parsed, out string? error)
    {
        parsed = default;
        if (string.IsNullOrEmpty(token))
        {
            error = "Empty token.";
            return false;
        }

        if (!token.StartsWith(Scheme + " ", StringComparison.Ordinal))
        {
            error = $"Token does not start with '{Scheme} '.";
            return false;
        }

        string? sr = null, sig = null, se = null, skn = null;
        foreach (string field in token[(Scheme.Length + 1)..].Split('&'))
        {
            int eq = field.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                error = $"Malformed field '{field}'.";
                return false;
            }

            string name = field[..eq];
            string value = field[(eq + 1)..];
            switch (name)
            {
                case "sr": sr = value; break;
                case "sig": sig = value; break;
                case "se": se = value; break;
                case "skn": skn = value; break;
                default:
                    error = $"Unknown field '{name}'.";
                    return false;
            }
        }

        if (sr is null || sig is null || se is null)
        {
            error = "Token must contain sr, sig and se.";
            return false;
        }

        if (!long.TryParse(WebUtility.UrlDecode(se), NumberStyles.None, CultureInfo.InvariantCulture, out long expiry))
        {
            error = $"Invalid expiry '{se}'.";
            return false;
        }

        string signature = WebUtility.UrlDecode(sig);
        Span<byte> buffer = stackalloc byte[64];
        if (!Convert.TryFromBase64String(signature, buffer, out int length) || length != HMACSHA256.HashSizeInBytes)
        {
            error = "Signature is not a base64 HMAC-SHA256.";
            return false;
        }

        parsed = new SasToken(WebUtility.UrlDecode(sr), sr, signature, expiry, skn is null ? null : WebUtility.UrlDecode(skn));
        error = null;
        return true;
    }

    /// <summary>
    /// True when <paramref name="token"/> has not expired at <paramref name="now"/> and its signature was made with
    /// <paramref name="key"/>. The signature comparison is constant-time. Checking that
    /// <see cref="SasToken.Resource"/> names the expected identity is the caller's job.
    /// </summary>
    public static bool Verify(SasToken token, ReadOnlySpan<byte> key, DateTimeOffset now)
    {
        if (token.EncodedResource is null || token.Signature is null || token.ExpiresOn <= now.ToUnixTimeSeconds())
        {
            return false;
        }

        Span<byte> expected = stackalloc byte[HMACSHA256.HashSizeInBytes];
        string stringToSign = string.Create(CultureInfo.InvariantCulture, $"{token.EncodedResource}\n{token.ExpiresOn}");
        byte[] data = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(stringToSign.Length));
        try
        {
            int count = Encoding.UTF8.GetBytes(stringToSign, data);
            HMACSHA256.HashData(key, data.AsSpan(0, count), expected);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(data);
        }

        Span<byte> actual = stackalloc byte[64];
        if (!Convert.TryFromBase64String(token.Signature, actual, out int length) || length != expected.Length)
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(expected, actual[..length]);
    }

    private static string Format(string resourceUri, string signature, long expiry, string? keyName)
    {
        var builder = new StringBuilder(Scheme.Length + resourceUri.Length + signature.Length + 48);
        builder.Append(Scheme).Append(" sr=").Append(WebUtility.UrlEncode(resourceUri))
            .Append("&sig=").Append(WebUtility.UrlEncode(signature))
            .Append("&se=").Append(expiry.ToString(CultureInfo.InvariantCulture));
        if (!string.IsNullOrWhiteSpace(keyName))
        {
            builder.Append("&skn=").Append(WebUtility.UrlEncode(keyName));
        }

        return builder.ToString();
    }
}
