using System.Text;
using EdgeHub.Messaging;
using EdgeKit.Protocol;

namespace EdgeHub.Tests.Routing;

internal static class TestMessages
{
    public const string Body = """
        {"temperature": 72.5, "humidity": 40, "sensor": "a", "name": "Tank A", "ok": true, "off": false, "nothing": null,
         "neg": -3.7, "text": "12.5", "obj": {"x": 1, "inner": {"y": "deep"}}, "arr": [10, "two", {"z": 3}], "empty": ""}
        """;

    public static Dictionary<string, string> JsonSystemProperties(string encoding = "utf-8") => new()
    {
        [SystemPropertyNames.ContentType] = "application/json",
        [SystemPropertyNames.ContentEncoding] = encoding,
        [SystemPropertyNames.ConnectionDeviceId] = "dev1",
        [SystemPropertyNames.ConnectionModuleId] = "tempSensor",
        [SystemPropertyNames.OutputName] = "temperatureOutput",
        [SystemPropertyNames.MessageId] = "m1",
    };

    /// <summary>The message most condition tests run against: JSON body above, properties sensor=a, level=high, num=42.</summary>
    public static HubMessage Standard { get; } = Create(Body);

    public static HubMessage Create(
        string body,
        IReadOnlyDictionary<string, string>? properties = null,
        IReadOnlyDictionary<string, string>? systemProperties = null,
        MessageSource? source = null) =>
        Create(Encoding.UTF8.GetBytes(body), properties, systemProperties, source);

    public static HubMessage Create(
        byte[] body,
        IReadOnlyDictionary<string, string>? properties = null,
        IReadOnlyDictionary<string, string>? systemProperties = null,
        MessageSource? source = null) =>
        new(
            body,
            properties ?? new Dictionary<string, string> { ["sensor"] = "a", ["level"] = "high", ["num"] = "42" },
            systemProperties ?? JsonSystemProperties())
        {
            Source = source ?? MessageSource.FromModule("dev1", "tempSensor", "temperatureOutput"),
        };
}
