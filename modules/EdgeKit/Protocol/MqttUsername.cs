namespace EdgeKit.Protocol;

/// <summary>The parts of an IoT Hub / edgeHub MQTT username.</summary>
/// <param name="IotHubHostName">The hub host name (first segment).</param>
/// <param name="DeviceId">The device id.</param>
/// <param name="ModuleId">The module id, or null for a device connection.</param>
/// <param name="ApiVersion">The <c>api-version</c> query value, when present.</param>
/// <param name="ClientType">The decoded <c>DeviceClientType</c> query value, when present.</param>
public readonly record struct MqttUsername(string IotHubHostName, string DeviceId, string? ModuleId, string? ApiVersion, string? ClientType)
{
    /// <summary>The api-version the SDK sends.</summary>
    public const string DefaultApiVersion = "2020-09-30";

    /// <summary><c>{hub}/{device}/{module}/?api-version=2020-09-30&amp;DeviceClientType={Uri.EscapeDataString(productInfo)}</c>.</summary>
    public static string Build(string iotHubHostName, string deviceId, string moduleId, string productInfo)
        => $"{iotHubHostName}/{deviceId}/{moduleId}/?api-version={DefaultApiVersion}&DeviceClientType={Uri.EscapeDataString(productInfo)}";

    /// <summary>
    /// Parses <c>{hub}/{device}[/{module}]/?query</c> (what edgeHub receives in CONNECT). Never throws.
    /// </summary>
    public static bool TryParse(string? username, out MqttUsername parsed, out string? error)
    {
        parsed = default;
        if (string.IsNullOrEmpty(username))
        {
            error = "Empty username.";
            return false;
        }

        int question = username.IndexOf('?', StringComparison.Ordinal);
        string path = question < 0 ? username : username[..question];
        string[] segments = path.TrimEnd('/').Split('/');
        if (segments.Length is < 2 or > 3 || segments.Any(s => s.Length == 0))
        {
            error = "Expected '{hub}/{device}/?...' or '{hub}/{device}/{module}/?...'.";
            return false;
        }

        string? apiVersion = null, clientType = null;
        if (question >= 0)
        {
            var query = new Dictionary<string, string>(StringComparer.Ordinal);
            if (!PropertyBagCodec.TryDecode(username.AsSpan(question + 1), query, query, out error))
            {
                return false;
            }

            query.TryGetValue("api-version", out apiVersion);
            query.TryGetValue("DeviceClientType", out clientType);
        }

        parsed = new MqttUsername(segments[0], segments[1], segments.Length == 3 ? segments[2] : null, apiVersion, clientType);
        error = null;
        return true;
    }
}
