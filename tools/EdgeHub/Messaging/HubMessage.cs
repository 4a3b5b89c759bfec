namespace EdgeHub.Messaging;

/// <summary>
/// A message as the hub sees it: body bytes, application properties and system properties.
/// Instances are immutable once routed; the store and the route engine share them without copying.
/// </summary>
public sealed class HubMessage
{
    public HubMessage(ReadOnlyMemory<byte> body, IReadOnlyDictionary<string, string> properties, IReadOnlyDictionary<string, string> systemProperties)
    {
        ArgumentNullException.ThrowIfNull(properties);
        ArgumentNullException.ThrowIfNull(systemProperties);
        Body = body;
        Properties = properties;
        SystemProperties = systemProperties;
    }

    /// <summary>The payload as sent by the module.</summary>
    public ReadOnlyMemory<byte> Body { get; }

    /// <summary>Application properties (the `key=value` pairs of the topic that do not start with `$.`).</summary>
    public IReadOnlyDictionary<string, string> Properties { get; }

    /// <summary>
    /// System properties by their IoT Hub query names: messageId, correlationId, contentType, contentEncoding,
    /// connectionDeviceId, connectionModuleId, outputName, userId, to, expiryTimeUtc, enqueuedTime,
    /// creationTimeUtc, messageSchema, componentName (see <see cref="EdgeKit.Protocol.SystemPropertyNames"/>).
    /// </summary>
    public IReadOnlyDictionary<string, string> SystemProperties { get; }

    /// <summary>Where the message came from: the sending module and output, or the twin-change source.</summary>
    public MessageSource Source { get; init; }
}

/// <summary>The origin of a message, used to match route sources.</summary>
public readonly record struct MessageSource(MessageSourceKind Kind, string? DeviceId, string? ModuleId, string? OutputName)
{
    public static MessageSource FromModule(string deviceId, string moduleId, string? outputName) =>
        new(MessageSourceKind.Telemetry, deviceId, moduleId, outputName);

    public static MessageSource TwinChange(string deviceId, string? moduleId) =>
        new(MessageSourceKind.TwinChangeNotification, deviceId, moduleId, null);
}

public enum MessageSourceKind
{
    /// <summary>Device-to-cloud telemetry sent by a module (or a leaf device, ModuleId null).</summary>
    Telemetry,

    /// <summary>A twin change notification (route source /twinChangeNotifications).</summary>
    TwinChangeNotification,
}
