using System.Text;
using EdgeHub.Messaging;
using EdgeKit.Protocol;

namespace EdgeCtl.Tests.Routes;

/// <summary>The messages the route table tests evaluate against, by name.</summary>
internal static class RouteTestMessages
{
    public const string Body = """
        {"temperature": 72.5, "pressure": 3, "name": "pump-1", "ok": true, "off": false, "nothing": null,
         "nested": {"a": {"b": 7}}, "list": [10, 20, {"c": "x"}], "obj": {"k": 1}, "text": "Hello World",
         "numstr": "42", "neg": -4.5}
        """;

    /// <summary>
    /// default: JSON body (utf-8) from module SensorIngest output telemetry, properties sensor=a, level=5, content-type=text.
    /// notjson / noencoding / latin1: the same body with text/plain, no contentEncoding, iso-8859-1.
    /// utf16 / utf32 / charset / bom / upper: the body in other accepted encodings and spellings. badjson: a truncated body.
    /// shadow: an application property literally named $messageId.
    /// </summary>
    public static HubMessage Get(string name)
    {
        var properties = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["sensor"] = "a",
            ["level"] = "5",
            ["content-type"] = "text",
        };
        var system = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [SystemPropertyNames.ContentType] = "application/json",
            [SystemPropertyNames.ContentEncoding] = "utf-8",
            [SystemPropertyNames.MessageId] = "m1",
            [SystemPropertyNames.CorrelationId] = "c1",
            [SystemPropertyNames.ConnectionDeviceId] = "dev1",
            [SystemPropertyNames.ConnectionModuleId] = "SensorIngest",
            [SystemPropertyNames.OutputName] = "telemetry",
        };
        byte[] body = Encoding.UTF8.GetBytes(Body);
        switch (name)
        {
            case "default":
                break;
            case "notjson":
                system[SystemPropertyNames.ContentType] = "text/plain";
                break;
            case "noencoding":
                system.Remove(SystemPropertyNames.ContentEncoding);
                break;
            case "latin1":
                system[SystemPropertyNames.ContentEncoding] = "iso-8859-1";
                break;
            case "utf16":
                system[SystemPropertyNames.ContentEncoding] = "utf-16";
                body = Encoding.Unicode.GetBytes(Body);
                break;
            case "utf32":
                system[SystemPropertyNames.ContentEncoding] = "utf-32";
                body = Encoding.UTF32.GetBytes(Body);
                break;
            case "charset":
                system[SystemPropertyNames.ContentType] = "application/json; charset=utf-8";
                break;
            case "upper":
                system[SystemPropertyNames.ContentType] = "APPLICATION/JSON";
                system[SystemPropertyNames.ContentEncoding] = "UTF-8";
                break;
            case "bom":
                body = [0xEF, 0xBB, 0xBF, .. body];
                break;
            case "badjson":
                body = Encoding.UTF8.GetBytes("{\"temperature\": ");
                break;
            case "shadow":
                properties["$messageId"] = "app";
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(name), name, "unknown test message");
        }

        return new HubMessage(body, properties, system)
        {
            Source = MessageSource.FromModule("dev1", "SensorIngest", "telemetry"),
        };
    }
}
