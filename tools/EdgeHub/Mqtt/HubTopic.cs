namespace EdgeHub.Mqtt;

/// <summary>The kinds of topic a module publishes to edgeHub.</summary>
internal enum HubTopicKind
{
    Unknown,
    Events,
    TwinGet,
    TwinPatchReported,
    MethodResponse,
}

/// <summary>
/// Classifies a publish topic from a module (azure-iot-sdk-csharp MqttTransportHandler topic templates):
/// `devices/{d}/modules/{m}/messages/events/{bag}`, `$iothub/twin/GET/?$rid=`, `$iothub/twin/PATCH/properties/reported/?$rid=`,
/// `$iothub/methods/res/{status}/?$rid=`.
/// </summary>
internal readonly ref struct HubTopic
{
    private HubTopic(HubTopicKind kind, ReadOnlySpan<char> deviceId, ReadOnlySpan<char> moduleId, ReadOnlySpan<char> rest, int status)
    {
        Kind = kind;
        DeviceId = deviceId;
        ModuleId = moduleId;
        Rest = rest;
        Status = status;
    }

    public HubTopicKind Kind { get; }

    public ReadOnlySpan<char> DeviceId { get; }

    public ReadOnlySpan<char> ModuleId { get; }

    /// <summary>The property bag (events) or the query after `?` (twin, methods).</summary>
    public ReadOnlySpan<char> Rest { get; }

    public int Status { get; }

    public static HubTopic Parse(ReadOnlySpan<char> topic)
    {
        if (topic.StartsWith("devices/", StringComparison.Ordinal))
        {
            var rest = topic["devices/".Length..];
            int slash = rest.IndexOf('/');
            if (slash <= 0)
            {
                return default;
            }

            var device = rest[..slash];
            rest = rest[(slash + 1)..];
            if (!rest.StartsWith("modules/", StringComparison.Ordinal))
            {
                return default;
            }

            rest = rest["modules/".Length..];
            slash = rest.IndexOf('/');
            if (slash <= 0)
            {
                return default;
            }

            var module = rest[..slash];
            rest = rest[(slash + 1)..];
            if (!rest.StartsWith("messages/events", StringComparison.Ordinal))
            {
                return default;
            }

            rest = rest["messages/events".Length..];
            if (rest.Length > 0)
            {
                if (rest[0] != '/')
                {
                    return default;
                }

                rest = rest[1..];
            }

            return new HubTopic(HubTopicKind.Events, device, module, rest, 0);
        }

        if (topic.StartsWith("$iothub/twin/GET/", StringComparison.Ordinal))
        {
            return new HubTopic(HubTopicKind.TwinGet, default, default, Query(topic), 0);
        }

        if (topic.StartsWith("$iothub/twin/PATCH/properties/reported/", StringComparison.Ordinal))
        {
            return new HubTopic(HubTopicKind.TwinPatchReported, default, default, Query(topic), 0);
        }

        if (topic.StartsWith("$iothub/methods/res/", StringComparison.Ordinal))
        {
            var rest = topic["$iothub/methods/res/".Length..];
            int slash = rest.IndexOf('/');
            if (slash <= 0 || !int.TryParse(rest[..slash], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int status))
            {
                return default;
            }

            return new HubTopic(HubTopicKind.MethodResponse, default, default, Query(topic), status);
        }

        return default;
    }

    /// <summary>Finds `$rid` in a query such as `?$rid=12` or `?$rid=12&$version=3`.</summary>
    public static bool TryGetRequestId(ReadOnlySpan<char> query, out string requestId)
    {
        requestId = "";
        if (query.Length > 0 && query[0] == '?')
        {
            query = query[1..];
        }

        while (query.Length > 0)
        {
            int amp = query.IndexOf('&');
            var pair = amp < 0 ? query : query[..amp];
            if (pair.StartsWith("$rid=", StringComparison.Ordinal))
            {
                requestId = Uri.UnescapeDataString(pair["$rid=".Length..].ToString());
                return requestId.Length > 0;
            }

            query = amp < 0 ? default : query[(amp + 1)..];
        }

        return false;
    }

    private static ReadOnlySpan<char> Query(ReadOnlySpan<char> topic)
    {
        int q = topic.IndexOf('?');
        return q < 0 ? default : topic[q..];
    }
}
