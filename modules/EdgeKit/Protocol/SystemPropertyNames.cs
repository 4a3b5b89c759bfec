namespace EdgeKit.Protocol;

/// <summary>
/// System property names as used by IoT Hub routing queries (keys of the system-property dictionary that
/// <see cref="PropertyBagCodec"/> fills), and their MQTT wire names (<c>$.xxx</c>).
/// </summary>
/// <remarks>Wire names follow azure-iot-sdk-csharp <c>IotHubWirePropertyNames</c>.</remarks>
public static class SystemPropertyNames
{
    public const string MessageId = "messageId";
    public const string CorrelationId = "correlationId";
    public const string UserId = "userId";
    public const string To = "to";
    public const string ContentType = "contentType";
    public const string ContentEncoding = "contentEncoding";
    public const string OutputName = "outputName";
    public const string ConnectionDeviceId = "connectionDeviceId";
    public const string ConnectionModuleId = "connectionModuleId";
    public const string ExpiryTimeUtc = "expiryTimeUtc";
    public const string CreationTimeUtc = "creationTimeUtc";
    public const string MessageSchema = "messageSchema";
    public const string InterfaceId = "interfaceId";
    public const string ComponentName = "componentName";
    public const string DiagId = "diagId";
    public const string DiagCorrelationContext = "diagCorrelationContext";
    /// <summary>Set by the hub when it accepts a message; has no wire name (never sent to modules).</summary>
    public const string EnqueuedTime = "enqueuedTime";
    public const string Operation = "iothub-operation";
    public const string Ack = "iothub-ack";

    /// <summary>MQTT wire names of the system properties.</summary>
    public static class Wire
    {
        public const string MessageId = "$.mid";
        public const string CorrelationId = "$.cid";
        public const string UserId = "$.uid";
        public const string To = "$.to";
        public const string ContentType = "$.ct";
        public const string ContentEncoding = "$.ce";
        public const string OutputName = "$.on";
        public const string ConnectionDeviceId = "$.cdid";
        public const string ConnectionModuleId = "$.cmid";
        public const string ExpiryTimeUtc = "$.exp";
        public const string CreationTimeUtc = "$.ctime";
        public const string MessageSchema = "$.schema";
        public const string InterfaceId = "$.ifid";
        public const string ComponentName = "$.sub";
        public const string DiagId = "$.diagid";
        public const string DiagCorrelationContext = "$.diagctx";
    }

    private static readonly Dictionary<string, string> s_wireToName = new(StringComparer.Ordinal)
    {
        [Wire.MessageId] = MessageId,
        [Wire.CorrelationId] = CorrelationId,
        [Wire.UserId] = UserId,
        [Wire.To] = To,
        [Wire.ContentType] = ContentType,
        [Wire.ContentEncoding] = ContentEncoding,
        [Wire.OutputName] = OutputName,
        [Wire.ConnectionDeviceId] = ConnectionDeviceId,
        [Wire.ConnectionModuleId] = ConnectionModuleId,
        [Wire.ExpiryTimeUtc] = ExpiryTimeUtc,
        [Wire.CreationTimeUtc] = CreationTimeUtc,
        [Wire.MessageSchema] = MessageSchema,
        [Wire.InterfaceId] = InterfaceId,
        [Wire.ComponentName] = ComponentName,
        [Wire.DiagId] = DiagId,
        [Wire.DiagCorrelationContext] = DiagCorrelationContext,
        // The SDK carries these two under their own names on the wire.
        [Operation] = Operation,
        [Ack] = Ack,
    };

    private static readonly Dictionary<string, string> s_nameToWire =
        s_wireToName.ToDictionary(p => p.Value, p => p.Key, StringComparer.Ordinal);

    /// <summary>Maps a wire name (<c>$.mid</c>) to the system property name (<c>messageId</c>).</summary>
    public static bool TryGetName(string wireName, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? name)
        => s_wireToName.TryGetValue(wireName, out name);

    /// <summary>Maps a system property name (<c>messageId</c>) to its wire name (<c>$.mid</c>).</summary>
    public static bool TryGetWireName(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? wireName)
        => s_nameToWire.TryGetValue(name, out wireName);

    internal static bool TryGetName(ReadOnlySpan<char> wireName, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? name)
        => s_wireToName.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(wireName, out name);
}
