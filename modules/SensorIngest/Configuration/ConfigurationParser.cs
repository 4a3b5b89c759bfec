using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using SensorIngest.Modbus;

namespace SensorIngest.Configuration;

/// <summary>The outcome of reading a desired-properties document: a configuration, problems, or neither (no configuration present).</summary>
public sealed record ConfigurationParseResult(IngestConfiguration? Configuration, IReadOnlyList<string> Errors)
{
    public bool IsPresent => Configuration is not null || Errors.Count > 0;
}

/// <summary>
/// Reads the native schema (<c>slaves</c>) or the archived Azure/iot-edge-modbus schema (<c>SlaveConfigs</c>) from module twin
/// desired properties into <see cref="IngestConfiguration"/>. Shape problems (wrong JSON kinds, unparsable numbers, unknown
/// types) are collected, not thrown, so an operator sees every problem of a patch at once; range rules live in
/// <see cref="IngestConfigurationValidator"/>.
/// </summary>
public static class ConfigurationParser
{
    public static ConfigurationParseResult Parse(JsonObject? desired)
    {
        if (desired is null)
        {
            return new ConfigurationParseResult(null, []);
        }

        bool native = desired.ContainsKey("slaves");
        bool archived = desired.ContainsKey("SlaveConfigs");
        if (native && archived)
        {
            return new ConfigurationParseResult(null, ["desired properties hold both 'slaves' (native schema) and 'SlaveConfigs' (archived schema); use one."]);
        }

        var errors = new List<string>();
        IngestConfiguration? configuration = native ? ParseNative(desired, errors) : archived ? ParseArchived(desired, errors) : null;
        return new ConfigurationParseResult(errors.Count == 0 ? configuration : null, errors);
    }

    private static IngestConfiguration ParseNative(JsonObject root, List<string> errors)
    {
        var slaves = new List<SlaveConfiguration>();
        if (root["slaves"] is not JsonArray array)
        {
            errors.Add("slaves must be an array.");
            return new IngestConfiguration { Schema = ConfigurationSchema.Native, Slaves = slaves };
        }

        for (int i = 0; i < array.Count; i++)
        {
            string path = $"slaves[{i}]";
            if (array[i] is not JsonObject s)
            {
                errors.Add($"{path} must be an object.");
                continue;
            }

            string name = String(s, "name", path, errors) ?? "";
            path = name.Length > 0 ? $"slaves[{name}]" : path;
            string endpoint = String(s, "endpoint", path, errors) ?? "";
            (string host, int port) = SplitEndpoint(endpoint, 502, path, errors);
            var points = new List<PointConfiguration>();
            if (s["points"] is JsonArray pointArray)
            {
                for (int j = 0; j < pointArray.Count; j++)
                {
                    string pointPath = $"{path}.points[{j}]";
                    if (pointArray[j] is not JsonObject p)
                    {
                        errors.Add($"{pointPath} must be an object.");
                        continue;
                    }

                    int function = Int(p, "function", pointPath, errors) ?? 0;
                    points.Add(new PointConfiguration
                    {
                        Signal = String(p, "signal", pointPath, errors) ?? "",
                        Function = function,
                        Address = Int(p, "address", pointPath, errors) ?? -1,
                        Type = Type(p, pointPath, function is 1 or 2 ? PointType.Bool : PointType.UInt16, errors),
                        Order = Order(p, pointPath, errors),
                        Scale = Double(p, "scale", pointPath, errors) ?? 1,
                        Offset = Double(p, "offset", pointPath, errors) ?? 0,
                        Unit = String(p, "unit", pointPath, errors, required: false),
                    });
                }
            }
            else if (s["points"] is not null)
            {
                errors.Add($"{path}.points must be an array.");
            }

            slaves.Add(new SlaveConfiguration
            {
                Name = name,
                Host = host,
                Port = port,
                UnitId = Int(s, "unitId", path, errors) ?? 1,
                PollingInterval = Millis(s, "pollingInterval", path, errors) ?? TimeSpan.FromSeconds(1),
                RetryCount = Int(s, "retryCount", path, errors) ?? 2,
                RetryInterval = Millis(s, "retryInterval", path, errors) ?? TimeSpan.FromMilliseconds(100),
                Timeout = Millis(s, "timeout", path, errors) ?? TimeSpan.FromSeconds(1),
                Points = points,
            });
        }

        return new IngestConfiguration
        {
            Schema = ConfigurationSchema.Native,
            PublishInterval = Millis(root, "publishInterval", "", errors) ?? TimeSpan.Zero,
            Slaves = slaves,
        };
    }

    private static IngestConfiguration ParseArchived(JsonObject root, List<string> errors)
    {
        var slaves = new List<SlaveConfiguration>();
        TimeSpan publish = Millis(root, "PublishInterval", "", errors) ?? TimeSpan.Zero;
        if (root["SlaveConfigs"] is not JsonObject slaveConfigs)
        {
            errors.Add("SlaveConfigs must be an object.");
            return new IngestConfiguration { Schema = ConfigurationSchema.Archived, PublishInterval = publish, Slaves = slaves };
        }

        foreach (KeyValuePair<string, JsonNode?> entry in slaveConfigs)
        {
            string path = $"SlaveConfigs.{entry.Key}";
            if (entry.Value is not JsonObject s)
            {
                errors.Add($"{path} must be an object.");
                continue;
            }

            string connection = String(s, "SlaveConnection", path, errors) ?? "";
            bool serial = connection.StartsWith('/') || connection.StartsWith("COM", StringComparison.OrdinalIgnoreCase);
            int port = Int(s, "TcpPort", path, errors) ?? 502;
            int retryCount = Int(s, "RetryCount", path, errors) ?? 2;
            TimeSpan retryInterval = Millis(s, "RetryInterval", path, errors) ?? TimeSpan.FromMilliseconds(100);
            string? hwId = String(s, "HwId", path, errors, required: false);

            // The archived module polled every operation on its own interval and unit id; we poll per group of
            // operations sharing both, so a slave whose operations agree stays one source "modbus://<slave>".
            var groups = new List<(int Unit, TimeSpan Interval, string Op, List<PointConfiguration> Points)>();
            if (s["Operations"] is not JsonObject operations)
            {
                errors.Add($"{path}.Operations must be an object.");
                continue;
            }

            foreach (KeyValuePair<string, JsonNode?> op in operations)
            {
                string opPath = $"{path}.Operations.{op.Key}";
                if (op.Value is not JsonObject o)
                {
                    errors.Add($"{opPath} must be an object.");
                    continue;
                }

                int unit = Int(o, "UnitId", opPath, errors) ?? 1;
                TimeSpan interval = Millis(o, "PollingInterval", opPath, errors) ?? TimeSpan.FromSeconds(1);
                int count = Int(o, "Count", opPath, errors) ?? 1;
                string display = String(o, "DisplayName", opPath, errors, required: false) ?? op.Key;
                string? correlation = String(o, "CorrelationId", opPath, errors, required: false);
                string? start = String(o, "StartAddress", opPath, errors);
                if (!TryParseStartAddress(start, out int function, out int address))
                {
                    if (start is not null)
                    {
                        errors.Add($"{opPath}.StartAddress '{start}' must be 5 or 6 digits with prefix 0 (coil), 1 (discrete input), 3 (input register) or 4 (holding register) and a 1-based address.");
                    }

                    continue;
                }

                var points = new List<PointConfiguration>(Math.Clamp(count, 0, 2000));
                for (int k = 0; k < count && k < 2000; k++)
                {
                    points.Add(new PointConfiguration
                    {
                        // The archived module published raw 16-bit values, one per register, named by DisplayName.
                        Signal = count == 1 ? display : $"{display}.{k}",
                        Function = function,
                        Address = address + k,
                        Type = function is 1 or 2 ? PointType.Bool : PointType.UInt16,
                        CorrelationId = correlation,
                    });
                }

                if (count < 1)
                {
                    errors.Add($"{opPath}.Count must be at least 1 (was {count}).");
                }

                int g = groups.FindIndex(x => x.Unit == unit && x.Interval == interval);
                if (g < 0)
                {
                    groups.Add((unit, interval, op.Key, points));
                }
                else
                {
                    groups[g].Points.AddRange(points);
                }
            }

            foreach ((int unit, TimeSpan interval, string opName, List<PointConfiguration> points) in groups)
            {
                slaves.Add(new SlaveConfiguration
                {
                    Name = groups.Count == 1 ? entry.Key : $"{entry.Key}.{opName}",
                    Host = serial ? "" : connection,
                    Port = port,
                    SerialPort = serial ? connection : null,
                    UnitId = unit,
                    PollingInterval = interval,
                    RetryCount = retryCount,
                    RetryInterval = retryInterval,
                    HwId = hwId,
                    Points = points,
                });
            }
        }

        return new IngestConfiguration { Schema = ConfigurationSchema.Archived, PublishInterval = publish, Slaves = slaves };
    }

    /// <summary>
    /// The archived module's StartAddress: a one-digit table prefix (0 coils, 1 discrete inputs, 3 input registers,
    /// 4 holding registers) followed by a 1-based register number of 4 or 5 digits ("400001" = holding register 0).
    /// </summary>
    public static bool TryParseStartAddress(string? text, out int function, out int address)
    {
        function = 0;
        address = -1;
        if (text is null || text.Length is not (5 or 6) || !int.TryParse(text.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out int number) || number < 1 || number > 65536)
        {
            return false;
        }

        function = text[0] switch { '0' => 1, '1' => 2, '3' => 4, '4' => 3, _ => 0 };
        address = number - 1;
        return function != 0;
    }

    /// <summary>Splits "host:port" (IPv6 as "[::1]:502"); a missing port gives <paramref name="defaultPort"/>.</summary>
    public static (string Host, int Port) SplitEndpoint(string endpoint, int defaultPort, string path, List<string> errors)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(errors);
        if (endpoint.Length == 0)
        {
            return ("", defaultPort);
        }

        int colon = endpoint.LastIndexOf(':');
        if (colon < 0 || (endpoint.StartsWith('[') && !endpoint.AsSpan(0, colon).EndsWith("]")))
        {
            return (endpoint.Trim('[', ']'), defaultPort);
        }

        string host = endpoint[..colon].Trim('[', ']');
        if (!int.TryParse(endpoint.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port))
        {
            errors.Add($"{Join(path, "endpoint")} '{endpoint}' must be host:port.");
            return (host, 0);
        }

        return (host, port);
    }

    private static string Join(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";

    private static string? String(JsonObject o, string key, string path, List<string> errors, bool required = true)
    {
        JsonNode? node = o[key];
        if (node is null)
        {
            if (required)
            {
                errors.Add($"{Join(path, key)} is required.");
            }

            return null;
        }

        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.String)
        {
            return v.GetValue<string>();
        }

        if (node is JsonValue n && n.GetValueKind() == JsonValueKind.Number)
        {
            return n.ToJsonString();
        }

        errors.Add($"{Join(path, key)} must be a string.");
        return null;
    }

    // The archived schema writes every number as a string ("502"); both forms are accepted everywhere.
    private static double? Double(JsonObject o, string key, string path, List<string> errors)
    {
        JsonNode? node = o[key];
        if (node is null)
        {
            return null;
        }

        if (node is JsonValue v)
        {
            switch (v.GetValueKind())
            {
                // Through the text: a node built in code (JsonValue.Create(5)) refuses GetValue<double>, a parsed one does not.
                case JsonValueKind.Number when double.TryParse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out double n) && double.IsFinite(n):
                    return n;
                case JsonValueKind.String when double.TryParse(v.GetValue<string>(), NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && double.IsFinite(d):
                    return d;
            }
        }

        errors.Add($"{Join(path, key)} must be a number (was {node.ToJsonString()}).");
        return null;
    }

    private static int? Int(JsonObject o, string key, string path, List<string> errors)
    {
        double? d = Double(o, key, path, errors);
        if (d is null)
        {
            return null;
        }

        if (d != Math.Floor(d.Value) || d < int.MinValue || d > int.MaxValue)
        {
            errors.Add($"{Join(path, key)} must be an integer (was {d.Value.ToString(CultureInfo.InvariantCulture)}).");
            return null;
        }

        return (int)d.Value;
    }

    private static TimeSpan? Millis(JsonObject o, string key, string path, List<string> errors)
    {
        double? d = Double(o, key, path, errors);
        if (d is not null && Math.Abs(d.Value) > 1e12)
        {
            errors.Add($"{Join(path, key)} is out of range (was {d.Value.ToString(CultureInfo.InvariantCulture)} ms).");
            return null;
        }

        return d is null ? null : TimeSpan.FromMilliseconds(d.Value);
    }

    private static PointType Type(JsonObject o, string path, PointType fallback, List<string> errors)
    {
        string? text = String(o, "type", path, errors, required: false);
        if (text is null)
        {
            return fallback;
        }

        try
        {
            return PointCodec.ParseType(text);
        }
        catch (FormatException)
        {
            errors.Add($"{path}.type '{text}' is not one of bool, int16, uint16, int32, uint32, int64, uint64, float32, float64, string.");
            return fallback;
        }
    }

    private static PointOrder Order(JsonObject o, string path, List<string> errors)
    {
        string? text = String(o, "order", path, errors, required: false);
        if (text is null)
        {
            return PointOrder.ABCD;
        }

        try
        {
            return PointCodec.ParseOrder(text);
        }
        catch (FormatException)
        {
            errors.Add($"{path}.order '{text}' is not one of ABCD, BADC, CDAB, DCBA.");
            return PointOrder.ABCD;
        }
    }
}
