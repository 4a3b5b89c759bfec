using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using EdgeKit.Protocol;

namespace EdgeKit;

/// <summary>
/// A message sent to or received from edgeHub: a body, application <see cref="Properties"/> and the system
/// properties that travel as <c>$.xxx</c> in the topic property bag.
/// </summary>
public sealed class Message
{
    /// <summary>Creates a message over <paramref name="body"/> (not copied: do not change it after sending).</summary>
    public Message(ReadOnlyMemory<byte> body) => Body = body;

    /// <summary>Creates a message over <paramref name="body"/> (not copied).</summary>
    public Message(byte[] body) : this(new ReadOnlyMemory<byte>(body ?? throw new ArgumentNullException(nameof(body)))) { }

    /// <summary>Creates an empty message.</summary>
    public Message() : this(ReadOnlyMemory<byte>.Empty) { }

    /// <summary>The payload.</summary>
    public ReadOnlyMemory<byte> Body { get; set; }

    /// <summary>Application properties (routing: <c>$properties</c> / bare names).</summary>
    public IDictionary<string, string> Properties { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    public string? MessageId { get; set; }
    public string? CorrelationId { get; set; }
    public string? ContentType { get; set; }
    public string? ContentEncoding { get; set; }
    public string? UserId { get; set; }
    public string? To { get; set; }
    public string? MessageSchema { get; set; }

    /// <summary>Output the message is sent on; set by <c>SendEventAsync(output, ...)</c>.</summary>
    public string? OutputName { get; set; }

    /// <summary>Input the message arrived on (received messages only).</summary>
    public string? InputName { get; set; }

    /// <summary>Device that sent the message (set by edgeHub on delivery).</summary>
    public string? ConnectionDeviceId { get; set; }

    /// <summary>Module that sent the message (set by edgeHub on delivery).</summary>
    public string? ConnectionModuleId { get; set; }

    public DateTimeOffset? CreationTimeUtc { get; set; }
    public DateTimeOffset? ExpiryTimeUtc { get; set; }

    /// <summary>Creates a JSON message (content type <c>application/json</c>, encoding <c>utf-8</c>) so that <c>$body</c> routes work.</summary>
    public static Message FromJson<T>(T value, JsonTypeInfo<T> typeInfo)
    {
        ArgumentNullException.ThrowIfNull(typeInfo);
        return new Message(JsonSerializer.SerializeToUtf8Bytes(value, typeInfo))
        {
            ContentType = "application/json",
            ContentEncoding = "utf-8",
        };
    }

    /// <summary>Deserializes the body as JSON.</summary>
    public T? BodyAsJson<T>(JsonTypeInfo<T> typeInfo) => JsonSerializer.Deserialize(Body.Span, typeInfo);

    /// <summary>The system properties in wire order, keyed by <see cref="SystemPropertyNames"/>.</summary>
    public IEnumerable<KeyValuePair<string, string>> GetSystemProperties()
    {
        if (MessageId is not null) yield return new(SystemPropertyNames.MessageId, MessageId);
        if (CorrelationId is not null) yield return new(SystemPropertyNames.CorrelationId, CorrelationId);
        if (UserId is not null) yield return new(SystemPropertyNames.UserId, UserId);
        if (To is not null) yield return new(SystemPropertyNames.To, To);
        if (ContentType is not null) yield return new(SystemPropertyNames.ContentType, ContentType);
        if (ContentEncoding is not null) yield return new(SystemPropertyNames.ContentEncoding, ContentEncoding);
        if (MessageSchema is not null) yield return new(SystemPropertyNames.MessageSchema, MessageSchema);
        if (CreationTimeUtc is { } created) yield return new(SystemPropertyNames.CreationTimeUtc, FormatTime(created));
        if (ExpiryTimeUtc is { } expiry) yield return new(SystemPropertyNames.ExpiryTimeUtc, FormatTime(expiry));
        if (OutputName is not null) yield return new(SystemPropertyNames.OutputName, OutputName);
        if (ConnectionDeviceId is not null) yield return new(SystemPropertyNames.ConnectionDeviceId, ConnectionDeviceId);
        if (ConnectionModuleId is not null) yield return new(SystemPropertyNames.ConnectionModuleId, ConnectionModuleId);
    }

    /// <summary>Sets the properties from a decoded system-property dictionary (unknown names are ignored).</summary>
    public void ApplySystemProperties(IReadOnlyDictionary<string, string> systemProperties)
    {
        ArgumentNullException.ThrowIfNull(systemProperties);
        foreach ((string name, string value) in systemProperties)
        {
            switch (name)
            {
                case SystemPropertyNames.MessageId: MessageId = value; break;
                case SystemPropertyNames.CorrelationId: CorrelationId = value; break;
                case SystemPropertyNames.UserId: UserId = value; break;
                case SystemPropertyNames.To: To = value; break;
                case SystemPropertyNames.ContentType: ContentType = value; break;
                case SystemPropertyNames.ContentEncoding: ContentEncoding = value; break;
                case SystemPropertyNames.MessageSchema: MessageSchema = value; break;
                case SystemPropertyNames.OutputName: OutputName = value; break;
                case SystemPropertyNames.ConnectionDeviceId: ConnectionDeviceId = value; break;
                case SystemPropertyNames.ConnectionModuleId: ConnectionModuleId = value; break;
                case SystemPropertyNames.CreationTimeUtc: CreationTimeUtc = ParseTime(value); break;
                case SystemPropertyNames.ExpiryTimeUtc: ExpiryTimeUtc = ParseTime(value); break;
                default: break;
            }
        }
    }

    // The SDK writes DateTime system properties with the round-trip format "o".
    private static string FormatTime(DateTimeOffset time) => time.UtcDateTime.ToString("o", CultureInfo.InvariantCulture);

    private static DateTimeOffset? ParseTime(string value)
        => DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out DateTimeOffset t) ? t : null;
}

/// <summary>What an input handler tells the client to do with a received message.</summary>
public enum MessageResponse
{
    /// <summary>Acknowledge (PUBACK) without further meaning.</summary>
    None = 0,
    /// <summary>Processed: acknowledge (PUBACK).</summary>
    Completed,
    /// <summary>
    /// Not processed: no PUBACK is sent, so the hub redelivers the message after the next reconnect
    /// (MQTT has no explicit abandon). Unacknowledged messages use up the hub's in-flight window.
    /// </summary>
    Abandoned,
}

/// <summary>A direct method call received from the hub.</summary>
public sealed class MethodRequest(string name, ReadOnlyMemory<byte> data, string requestId)
{
    public string Name { get; } = name;
    /// <summary>The JSON payload of the call.</summary>
    public ReadOnlyMemory<byte> Data { get; } = data;
    /// <summary>The <c>$rid</c> the response must carry.</summary>
    public string RequestId { get; } = requestId;
    public string DataAsJson => System.Text.Encoding.UTF8.GetString(Data.Span);
}

/// <summary>The result of a direct method.</summary>
public sealed class MethodResponse(int status, ReadOnlyMemory<byte> result = default)
{
    public int Status { get; } = status;
    /// <summary>JSON payload (may be empty).</summary>
    public ReadOnlyMemory<byte> Result { get; } = result;

    /// <summary>A response with a JSON payload.</summary>
    public static MethodResponse FromJson<T>(int status, T value, JsonTypeInfo<T> typeInfo)
        => new(status, JsonSerializer.SerializeToUtf8Bytes(value, typeInfo));
}
