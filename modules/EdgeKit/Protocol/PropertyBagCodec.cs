using System.Buffers;
using System.Text;

namespace EdgeKit.Protocol;

/// <summary>
/// Encodes and decodes the url-encoded property bag that edgeHub and IoT Hub carry in MQTT topic names
/// (<c>k=v&amp;k2=v2</c>), the way azure-iot-sdk-csharp <c>UrlEncodedDictionarySerializer</c> does:
/// keys and values are escaped with RFC 3986 percent-encoding (<see cref="Uri.EscapeDataString(string)"/>),
/// <c>&amp;</c> separates properties, <c>=</c> separates key and value, a key may have no value,
/// and a <c>/</c> ends the bag. System properties travel under <c>$.</c>-prefixed wire names.
/// </summary>
public static class PropertyBagCodec
{
    /// <summary>The character between a key and its value.</summary>
    public const char KeyValueSeparator = '=';

    /// <summary>The character between properties.</summary>
    public const char PropertySeparator = '&';

    /// <summary>The character that ends a bag inside a topic.</summary>
    public const char Terminator = '/';

    private const int StackLimit = 256;

    /// <summary>
    /// Decodes a property bag. Known <c>$.</c> wire names go to <paramref name="systemProperties"/> under their
    /// routing names (<see cref="SystemPropertyNames"/>), everything else to <paramref name="appProperties"/>.
    /// A key without a value decodes to an empty string. Decoding stops at the first <c>/</c>.
    /// Never throws on malformed input: returns false with a reason in <paramref name="error"/>.
    /// </summary>
    public static bool TryDecode(
        ReadOnlySpan<char> bag,
        IDictionary<string, string> appProperties,
        IDictionary<string, string> systemProperties,
        out string? error)
    {
        ArgumentNullException.ThrowIfNull(appProperties);
        ArgumentNullException.ThrowIfNull(systemProperties);
        error = null;
        int end = bag.IndexOf(Terminator);
        if (end >= 0)
        {
            bag = bag[..end];
        }

        if (bag.IsEmpty)
        {
            return true;
        }

        int position = 0;
        while (true)
        {
            ReadOnlySpan<char> rest = bag[position..];
            int amp = rest.IndexOf(PropertySeparator);
            ReadOnlySpan<char> pair = amp < 0 ? rest : rest[..amp];
            if (pair.IsEmpty)
            {
                error = amp < 0
                    ? $"Unexpected end of property bag after '&' at position {position}."
                    : $"Unexpected character '&' at position {position}: empty property.";
                return false;
            }

            int eq = pair.IndexOf(KeyValueSeparator);
            ReadOnlySpan<char> rawKey = eq < 0 ? pair : pair[..eq];
            ReadOnlySpan<char> rawValue = eq < 0 ? [] : pair[(eq + 1)..];
            if (rawKey.IsEmpty)
            {
                error = $"Unexpected character '=' at position {position}: empty property name.";
                return false;
            }

            if (rawValue.IndexOf(KeyValueSeparator) >= 0)
            {
                error = $"Unexpected character '=' in the value of the property at position {position}.";
                return false;
            }

            if (!TryUnescape(rawKey, out string? key, out error) || !TryUnescape(rawValue, out string? value, out error))
            {
                error = $"Property at position {position}: {error}";
                return false;
            }

            if (key.StartsWith("$.", StringComparison.Ordinal) || key.StartsWith("iothub-", StringComparison.Ordinal))
            {
                if (SystemPropertyNames.TryGetName(key, out string? name))
                {
                    systemProperties[name] = value;
                }
                else
                {
                    appProperties[key] = value;
                }
            }
            else
            {
                appProperties[key] = value;
            }

            if (amp < 0)
            {
                return true;
            }

            position += amp + 1;
        }
    }

    /// <summary>
    /// Encodes system properties (keyed by routing names such as <c>messageId</c>; unknown names are rejected)
    /// followed by application properties, in enumeration order. Returns an empty string for no properties.
    /// </summary>
    /// <exception cref="ArgumentException">A system property name is not known.</exception>
    public static string Encode(
        IEnumerable<KeyValuePair<string, string>>? systemProperties,
        IEnumerable<KeyValuePair<string, string>>? appProperties)
    {
        var builder = new StringBuilder();
        Encode(builder, systemProperties, appProperties);
        return builder.ToString();
    }

    /// <summary>Appends the encoded bag to <paramref name="builder"/> (see <see cref="Encode(IEnumerable{KeyValuePair{string, string}}?, IEnumerable{KeyValuePair{string, string}}?)"/>).</summary>
    public static void Encode(
        StringBuilder builder,
        IEnumerable<KeyValuePair<string, string>>? systemProperties,
        IEnumerable<KeyValuePair<string, string>>? appProperties)
    {
        ArgumentNullException.ThrowIfNull(builder);
        int start = builder.Length;
        if (systemProperties is not null)
        {
            foreach (KeyValuePair<string, string> property in systemProperties)
            {
                if (!SystemPropertyNames.TryGetWireName(property.Key, out string? wire))
                {
                    throw new ArgumentException($"Unknown system property '{property.Key}'.", nameof(systemProperties));
                }

                AppendPair(builder, start, wire, property.Value);
            }
        }

        if (appProperties is not null)
        {
            foreach (KeyValuePair<string, string> property in appProperties)
            {
                AppendPair(builder, start, property.Key, property.Value);
            }
        }
    }

    private static void AppendPair(StringBuilder builder, int start, string key, string? value)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        if (builder.Length > start)
        {
            builder.Append(PropertySeparator);
        }

        builder.Append(Uri.EscapeDataString(key));
        if (value is not null)
        {
            builder.Append(KeyValueSeparator).Append(Uri.EscapeDataString(value));
        }
    }

    /// <summary>
    /// Percent-decodes one token (RFC 3986; '+' stays '+', as with <see cref="Uri.UnescapeDataString(string)"/>).
    /// Unlike <see cref="Uri.UnescapeDataString(string)"/>, a malformed escape or invalid UTF-8 is an error.
    /// </summary>
    public static bool TryUnescape(ReadOnlySpan<char> token, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? value, out string? error)
    {
        error = null;
        if (token.IndexOf('%') < 0)
        {
            value = token.IsEmpty ? string.Empty : new string(token);
            return true;
        }

        value = null;
        int maxBytes = Encoding.UTF8.GetMaxByteCount(token.Length);
        byte[]? rented = null;
        Span<byte> bytes = maxBytes <= StackLimit ? stackalloc byte[StackLimit] : (rented = ArrayPool<byte>.Shared.Rent(maxBytes));
        try
        {
            int written = 0;
            for (int i = 0; i < token.Length; i++)
            {
                char c = token[i];
                if (c == '%')
                {
                    if (i + 2 >= token.Length)
                    {
                        error = $"Truncated percent-escape at offset {i}.";
                        return false;
                    }

                    int hi = HexValue(token[i + 1]);
                    int lo = HexValue(token[i + 2]);
                    if (hi < 0 || lo < 0)
                    {
                        error = $"Invalid percent-escape '%{token[i + 1]}{token[i + 2]}' at offset {i}.";
                        return false;
                    }

                    bytes[written++] = (byte)((hi << 4) | lo);
                    i += 2;
                }
                else if (c < 0x80)
                {
                    bytes[written++] = (byte)c;
                }
                else
                {
                    // Non-ASCII characters that arrived unescaped: keep them as UTF-8.
                    int next = i + 1 < token.Length && char.IsSurrogatePair(c, token[i + 1]) ? 2 : 1;
                    if (next == 1 && char.IsSurrogate(c))
                    {
                        error = $"Unpaired surrogate at offset {i}.";
                        return false;
                    }

                    written += Encoding.UTF8.GetBytes(token.Slice(i, next), bytes[written..]);
                    i += next - 1;
                }
            }

            try
            {
                value = s_strictUtf8.GetString(bytes[..written]);
                return true;
            }
            catch (DecoderFallbackException)
            {
                error = "Percent-escapes do not form valid UTF-8.";
                return false;
            }
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static int HexValue(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };
}
