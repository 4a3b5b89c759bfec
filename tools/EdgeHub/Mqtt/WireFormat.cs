using System.Text;
using EdgeHub.Messaging;
using EdgeKit.Protocol;

namespace EdgeHub.Mqtt;

/// <summary>Hub-side use of the shared property-bag codec (modules/EdgeKit/Protocol), so both ends encode alike.</summary>
internal static class WireFormat
{
    [ThreadStatic]
    private static List<KeyValuePair<string, string>>? t_system;

    [ThreadStatic]
    private static StringBuilder? t_builder;

    /// <summary>
    /// Encodes the properties of a message for an inputs topic: the system properties that have a wire name
    /// (`$.mid`, `$.cdid`, `$.cmid`, ...; hub-only ones such as enqueuedTime stay behind) and the application properties.
    /// </summary>
    public static string EncodeProperties(HubMessage message)
    {
        var system = t_system ??= new List<KeyValuePair<string, string>>(8);
        var builder = t_builder ??= new StringBuilder(256);
        system.Clear();
        builder.Clear();
        foreach (var pair in message.SystemProperties)
        {
            if (SystemPropertyNames.TryGetWireName(pair.Key, out _))
            {
                system.Add(pair);
            }
        }

        PropertyBagCodec.Encode(builder, system, message.Properties);
        return builder.ToString();
    }
}
