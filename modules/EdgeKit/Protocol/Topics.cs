using System.Globalization;

namespace EdgeKit.Protocol;

/// <summary>What a topic name addresses.</summary>
public enum TopicKind
{
    /// <summary>Not an edgeHub/IoT Hub topic we know.</summary>
    Unknown = 0,
    /// <summary><c>devices/{d}/modules/{m}/messages/events/{bag}</c> (module to hub).</summary>
    Event,
    /// <summary><c>devices/{d}/modules/{m}/inputs/{input}/{bag}</c> (hub to module).</summary>
    Input,
    /// <summary><c>$iothub/twin/GET/?$rid={rid}</c>.</summary>
    TwinGet,
    /// <summary><c>$iothub/twin/PATCH/properties/reported/?$rid={rid}</c>.</summary>
    TwinReportedPatch,
    /// <summary><c>$iothub/twin/res/{status}/?$rid={rid}[&amp;$version={v}]</c>.</summary>
    TwinResponse,
    /// <summary><c>$iothub/twin/PATCH/properties/desired/?$version={v}</c>.</summary>
    TwinDesiredPatch,
    /// <summary><c>$iothub/methods/POST/{method}/?$rid={rid}</c>.</summary>
    MethodRequest,
    /// <summary><c>$iothub/methods/res/{status}/?$rid={rid}</c>.</summary>
    MethodResponse,
}

/// <summary>The parts of a parsed topic name. Fields that the kind does not carry are null.</summary>
public readonly record struct ParsedTopic(
    TopicKind Kind,
    string? DeviceId = null,
    string? ModuleId = null,
    string? Name = null,
    int? Status = null,
    string? RequestId = null,
    long? Version = null,
    string? PropertyBag = null);

/// <summary>
/// Builders and parsers for the MQTT topics of the edgeHub/IoT Hub protocol, following
/// azure-iot-sdk-csharp <c>MqttIotHubAdapter</c> / <c>MqttTransportHandler</c>.
/// </summary>
public static class Topics
{
    /// <summary>Twin response subscription filter.</summary>
    public const string TwinResponseFilter = "$iothub/twin/res/#";

    /// <summary>Desired-property patch subscription filter.</summary>
    public const string TwinDesiredPatchFilter = "$iothub/twin/PATCH/properties/desired/#";

    /// <summary>Direct method request subscription filter.</summary>
    public const string MethodRequestFilter = "$iothub/methods/POST/#";

    private const string TwinPrefix = "$iothub/twin/";
    private const string MethodsPrefix = "$iothub/methods/";

    /// <summary><c>devices/{d}/modules/{m}/messages/events/</c>.</summary>
    public static string EventsPrefix(string deviceId, string moduleId) => $"devices/{deviceId}/modules/{moduleId}/messages/events/";

    /// <summary>
    /// The telemetry topic: the prefix, then the encoded bag followed by <c>/</c> when the bag is not empty
    /// (as the SDK's <c>PopulateMessagePropertiesFromMessage</c> does).
    /// </summary>
    public static string Event(string deviceId, string moduleId, string propertyBag)
        => string.IsNullOrEmpty(propertyBag)
            ? EventsPrefix(deviceId, moduleId)
            : $"devices/{deviceId}/modules/{moduleId}/messages/events/{propertyBag}/";

    /// <summary>The filter a module subscribes to for its inputs: <c>devices/{d}/modules/{m}/#</c>.</summary>
    public static string ModuleFilter(string deviceId, string moduleId) => $"devices/{deviceId}/modules/{moduleId}/#";

    /// <summary><c>devices/{d}/modules/{m}/inputs/{input}/{bag}</c> (the hub side of input delivery).</summary>
    public static string Input(string deviceId, string moduleId, string inputName, string propertyBag)
        => string.IsNullOrEmpty(propertyBag)
            ? $"devices/{deviceId}/modules/{moduleId}/inputs/{inputName}/"
            : $"devices/{deviceId}/modules/{moduleId}/inputs/{inputName}/{propertyBag}/";

    /// <summary><c>$iothub/twin/GET/?$rid={rid}</c>.</summary>
    public static string TwinGet(string requestId) => $"$iothub/twin/GET/?$rid={requestId}";

    /// <summary><c>$iothub/twin/PATCH/properties/reported/?$rid={rid}</c>.</summary>
    public static string TwinReportedPatch(string requestId) => $"$iothub/twin/PATCH/properties/reported/?$rid={requestId}";

    /// <summary><c>$iothub/twin/res/{status}/?$rid={rid}[&amp;$version={v}]</c>.</summary>
    public static string TwinResponse(int status, string requestId, long? version = null)
        => version is null
            ? string.Create(CultureInfo.InvariantCulture, $"$iothub/twin/res/{status}/?$rid={requestId}")
            : string.Create(CultureInfo.InvariantCulture, $"$iothub/twin/res/{status}/?$rid={requestId}&$version={version}");

    /// <summary><c>$iothub/twin/PATCH/properties/desired/?$version={v}</c>.</summary>
    public static string TwinDesiredPatch(long version)
        => string.Create(CultureInfo.InvariantCulture, $"$iothub/twin/PATCH/properties/desired/?$version={version}");

    /// <summary><c>$iothub/methods/POST/{method}/?$rid={rid}</c>.</summary>
    public static string MethodRequest(string methodName, string requestId) => $"$iothub/methods/POST/{methodName}/?$rid={requestId}";

    /// <summary><c>$iothub/methods/res/{status}/?$rid={rid}</c>.</summary>
    public static string MethodResponse(int status, string requestId)
        => string.Create(CultureInfo.InvariantCulture, $"$iothub/methods/res/{status}/?$rid={requestId}");

    /// <summary>
    /// Parses any topic of the protocol. Returns false with an error for a topic that is recognised but
    /// malformed (for example a twin response without a numeric status) or not recognised at all. Never throws.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<char> topic, out ParsedTopic parsed, out string? error)
    {
        parsed = default;
        error = null;
        if (topic.StartsWith(TwinPrefix, StringComparison.Ordinal))
        {
            return TryParseTwin(topic[TwinPrefix.Length..], out parsed, out error);
        }

        if (topic.StartsWith(MethodsPrefix, StringComparison.Ordinal))
        {
            return TryParseMethod(topic[MethodsPrefix.Length..], out parsed, out error);
        }

        if (topic.StartsWith("devices/", StringComparison.Ordinal))
        {
            return TryParseDeviceTopic(topic["devices/".Length..], out parsed, out error);
        }

        error = $"Unknown topic '{Truncate(topic)}'.";
        return false;
    }

    private static bool TryParseDeviceTopic(ReadOnlySpan<char> rest, out ParsedTopic parsed, out string? error)
    {
        parsed = default;
        // {d}/modules/{m}/messages/events/{bag} | {d}/modules/{m}/inputs/{input}/{bag}
        if (!TryTakeSegment(ref rest, out ReadOnlySpan<char> device) || !TryTakeSegment(ref rest, out ReadOnlySpan<char> modules)
            || !modules.SequenceEqual("modules") || !TryTakeSegment(ref rest, out ReadOnlySpan<char> module)
            || !TryTakeSegment(ref rest, out ReadOnlySpan<char> kind))
        {
            error = "Expected 'devices/{deviceId}/modules/{moduleId}/messages/events/...' or '.../inputs/{input}/...'.";
            return false;
        }

        if (kind.SequenceEqual("messages"))
        {
            if (!TryTakeSegment(ref rest, out ReadOnlySpan<char> events) || !events.SequenceEqual("events"))
            {
                error = "Expected 'messages/events/' after the module id.";
                return false;
            }

            parsed = new ParsedTopic(TopicKind.Event, new string(device), new string(module), PropertyBag: BagOf(rest));
            error = null;
            return true;
        }

        if (kind.SequenceEqual("inputs"))
        {
            if (!TryTakeSegment(ref rest, out ReadOnlySpan<char> input))
            {
                if (rest.IsEmpty)
                {
                    error = "Missing input name after 'inputs/'.";
                    return false;
                }

                // 'inputs/{input}' without a trailing slash.
                input = rest;
                rest = [];
            }

            if (input.IsEmpty)
            {
                error = "Empty input name.";
                return false;
            }

            parsed = new ParsedTopic(TopicKind.Input, new string(device), new string(module), new string(input), PropertyBag: BagOf(rest));
            error = null;
            return true;
        }

        error = $"Unknown module topic kind '{Truncate(kind)}'.";
        return false;
    }

    private static bool TryParseTwin(ReadOnlySpan<char> rest, out ParsedTopic parsed, out string? error)
    {
        parsed = default;
        if (rest.StartsWith("res/", StringComparison.Ordinal))
        {
            rest = rest[4..];
            if (!TryTakeSegment(ref rest, out ReadOnlySpan<char> statusText) || !TryParseStatus(statusText, out int status))
            {
                error = "Twin response without a numeric status.";
                return false;
            }

            if (!TryParseQuery(rest, out string? rid, out long? version, out error))
            {
                return false;
            }

            if (rid is null)
            {
                error = "Twin response without $rid.";
                return false;
            }

            parsed = new ParsedTopic(TopicKind.TwinResponse, Status: status, RequestId: rid, Version: version);
            return true;
        }

        TopicKind kind;
        if (rest.StartsWith("PATCH/properties/desired/", StringComparison.Ordinal))
        {
            kind = TopicKind.TwinDesiredPatch;
            rest = rest["PATCH/properties/desired/".Length..];
        }
        else if (rest.StartsWith("PATCH/properties/reported/", StringComparison.Ordinal))
        {
            kind = TopicKind.TwinReportedPatch;
            rest = rest["PATCH/properties/reported/".Length..];
        }
        else if (rest.StartsWith("GET/", StringComparison.Ordinal))
        {
            kind = TopicKind.TwinGet;
            rest = rest["GET/".Length..];
        }
        else
        {
            error = $"Unknown twin topic '$iothub/twin/{Truncate(rest)}'.";
            return false;
        }

        if (!TryParseQuery(rest, out string? requestId, out long? v, out error))
        {
            return false;
        }

        if (kind != TopicKind.TwinDesiredPatch && requestId is null)
        {
            error = "Twin request without $rid.";
            return false;
        }

        parsed = new ParsedTopic(kind, RequestId: requestId, Version: v);
        return true;
    }

    private static bool TryParseMethod(ReadOnlySpan<char> rest, out ParsedTopic parsed, out string? error)
    {
        parsed = default;
        bool request;
        if (rest.StartsWith("POST/", StringComparison.Ordinal))
        {
            request = true;
            rest = rest[5..];
        }
        else if (rest.StartsWith("res/", StringComparison.Ordinal))
        {
            request = false;
            rest = rest[4..];
        }
        else
        {
            error = $"Unknown method topic '$iothub/methods/{Truncate(rest)}'.";
            return false;
        }

        if (!TryTakeSegment(ref rest, out ReadOnlySpan<char> segment) || segment.IsEmpty)
        {
            error = request ? "Method request without a method name." : "Method response without a status.";
            return false;
        }

        if (!TryParseQuery(rest, out string? rid, out _, out error))
        {
            return false;
        }

        if (rid is null)
        {
            error = "Method topic without $rid.";
            return false;
        }

        if (request)
        {
            parsed = new ParsedTopic(TopicKind.MethodRequest, Name: new string(segment), RequestId: rid);
            return true;
        }

        if (!TryParseStatus(segment, out int status))
        {
            error = "Method response without a numeric status.";
            return false;
        }

        parsed = new ParsedTopic(TopicKind.MethodResponse, Status: status, RequestId: rid);
        return true;
    }

    /// <summary>Parses <c>?$rid=..&amp;$version=..</c> (other keys are ignored).</summary>
    private static bool TryParseQuery(ReadOnlySpan<char> rest, out string? requestId, out long? version, out string? error)
    {
        requestId = null;
        version = null;
        error = null;
        if (rest.IsEmpty)
        {
            return true;
        }

        if (rest[0] != '?')
        {
            error = $"Expected '?' before the query, found '{Truncate(rest)}'.";
            return false;
        }

        var app = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!PropertyBagCodec.TryDecode(rest[1..], app, app, out error))
        {
            return false;
        }

        if (app.TryGetValue("$rid", out string? rid))
        {
            if (rid.Length == 0)
            {
                error = "Empty $rid.";
                return false;
            }

            requestId = rid;
        }

        if (app.TryGetValue("$version", out string? versionText))
        {
            if (!long.TryParse(versionText, NumberStyles.None, CultureInfo.InvariantCulture, out long v))
            {
                error = $"Invalid $version '{Truncate(versionText)}'.";
                return false;
            }

            version = v;
        }

        return true;
    }

    private static bool TryParseStatus(ReadOnlySpan<char> text, out int status)
        => int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out status) && status is >= 100 and <= 999;

    private static bool TryTakeSegment(ref ReadOnlySpan<char> rest, out ReadOnlySpan<char> segment)
    {
        int slash = rest.IndexOf('/');
        if (slash < 0)
        {
            segment = default;
            return false;
        }

        segment = rest[..slash];
        rest = rest[(slash + 1)..];
        return !segment.IsEmpty;
    }

    private static string BagOf(ReadOnlySpan<char> rest)
    {
        int slash = rest.IndexOf('/');
        return new string(slash < 0 ? rest : rest[..slash]);
    }

    private static string Truncate(ReadOnlySpan<char> text) => text.Length <= 64 ? new string(text) : string.Concat(text[..64], "...");
}
