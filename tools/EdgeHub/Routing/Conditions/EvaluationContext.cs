using System.Text;
using EdgeHub.Messaging;
using EdgeKit.Protocol;

namespace EdgeHub.Routing.Conditions;

/// <summary>
/// Per-message state shared by every condition evaluated for one message (see <see cref="RouteTable.Match"/>):
/// the content-type check and, for UTF-16/UTF-32 bodies, the transcoded UTF-8 copy are done once per message, not per route.
/// </summary>
internal struct EvaluationContext
{
    private BodyState bodyState;
    private byte[]? transcoded;

    public EvaluationContext(HubMessage message)
    {
        Message = message;
        bodyState = BodyState.Unknown;
        transcoded = null;
        HadError = false;
        ErrorDetail = null;
    }

    private enum BodyState : byte
    {
        Unknown,
        Utf8,
        Transcoded,
        NotJson,
    }

    public HubMessage Message { get; }

    /// <summary>Set when a value could not be computed (e.g. a body that is not valid JSON).</summary>
    public bool HadError { get; set; }

    /// <summary>The first error's description and position (diagnostics only; set on the error path, never on the hot path).</summary>
    public string? ErrorDetail { get; set; }

    /// <summary>
    /// The body as UTF-8 JSON, when the message says it is JSON: IoT Hub (and edgeHub) only query bodies whose
    /// contentType is application/json and whose contentEncoding is UTF-8, UTF-16 or UTF-32.
    /// </summary>
    public bool TryGetJsonBody(out ReadOnlySpan<byte> utf8)
    {
        if (bodyState == BodyState.Unknown)
        {
            bodyState = Classify();
        }

        switch (bodyState)
        {
            case BodyState.Utf8:
                utf8 = SkipBom(Message.Body.Span);
                return true;
            case BodyState.Transcoded:
                utf8 = SkipBom(transcoded);
                return true;
            default:
                utf8 = default;
                return false;
        }
    }

    private BodyState Classify()
    {
        IReadOnlyDictionary<string, string> system = Message.SystemProperties;
        if (!system.TryGetValue(SystemPropertyNames.ContentType, out string? contentType) || !IsJsonMediaType(contentType))
        {
            return BodyState.NotJson;
        }

        if (!system.TryGetValue(SystemPropertyNames.ContentEncoding, out string? encoding))
        {
            return BodyState.NotJson;
        }

        encoding = encoding.Trim();
        if (encoding.Equals("utf-8", StringComparison.OrdinalIgnoreCase) || encoding.Equals("utf8", StringComparison.OrdinalIgnoreCase))
        {
            return BodyState.Utf8;
        }

        Encoding? wide = encoding.ToUpperInvariant() switch
        {
            "UTF-16" or "UTF16" => Encoding.Unicode,
            "UTF-32" or "UTF32" => Encoding.UTF32,
            _ => null,
        };
        if (wide is null)
        {
            return BodyState.NotJson;
        }

        transcoded = Encoding.UTF8.GetBytes(wide.GetString(Message.Body.Span));
        return BodyState.Transcoded;
    }

    private static bool IsJsonMediaType(string contentType)
    {
        ReadOnlySpan<char> media = contentType.AsSpan();
        int semicolon = media.IndexOf(';');
        if (semicolon >= 0)
        {
            media = media[..semicolon];
        }

        return media.Trim().Equals("application/json", StringComparison.OrdinalIgnoreCase);
    }

    private static ReadOnlySpan<byte> SkipBom(ReadOnlySpan<byte> utf8) =>
        utf8.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]) ? utf8[3..] : utf8;
}
