using EdgeHub.Messaging;
using EdgeKit.Protocol;

namespace EdgeHub.Mqtt;

/// <summary>Hub-side use of the shared property-bag codec (modules/EdgeKit/Protocol), so both ends encode alike.</summary>
internal static class WireFormat
{
    /// <summary>Decodes the property bag of an events topic into application and system properties.</summary>
    public static bool TryDecodeProperties(ReadOnlySpan<char> bag, Dictionary<string, string> properties, Dictionary<string, string> systemProperties, out string? error) =>
        PropertyBagCodec.TryDecode(bag, properties, systemProperties, out error);

    /// <summary>Encodes the properties of a message for an inputs topic (application properties and `$.` system properties).</summary>
    public static string EncodeProperties(HubMessage message) =>
        PropertyBagCodec.Encode(message.Properties, message.SystemProperties);
}
