using System.Text.Json;
using System.Text.Json.Nodes;

namespace EdgeHub.Hosting;

/// <summary>
/// Reads the hub's configuration either from a hub file (`{"iotHubHostName", "devices":[{"deviceId","routes","timeToLiveSecs","modules":[{"moduleId","primaryKey","desired"}]}]}`)
/// or from a resolved deployment manifest applied to N devices.
/// </summary>
public static class HubConfigurationLoader
{
    public static HubConfiguration FromHubFile(string path)
    {
        var root = JsonNode.Parse(File.ReadAllText(path)) as JsonObject
            ?? throw new FormatException($"{path}: the hub configuration must be a JSON object");
        var configuration = new HubConfiguration();
        if (root["iotHubHostName"] is JsonValue host)
        {
            configuration.IotHubHostName = host.GetValue<string>();
        }

        if (root["devices"] is not JsonArray devices)
        {
            throw new FormatException($"{path}: 'devices' must be an array");
        }

        foreach (var node in devices)
        {
            if (node is not JsonObject d || d["deviceId"]?.GetValue<string>() is not { Length: > 0 } deviceId)
            {
                throw new FormatException($"{path}: every device needs a deviceId");
            }

            var device = new DeviceConfiguration { DeviceId = deviceId };
            if (d["routes"] is JsonObject routes)
            {
                device.Routes = JsonSerializer.SerializeToElement(routes, HubJsonContext.Default.JsonObject);
            }

            if (d["timeToLiveSecs"] is JsonValue ttl)
            {
                device.TimeToLiveSecs = ttl.GetValue<int>();
            }

            if (d["modules"] is JsonArray modules)
            {
                foreach (var m in modules)
                {
                    if (m is not JsonObject mo || mo["moduleId"]?.GetValue<string>() is not { Length: > 0 } moduleId)
                    {
                        throw new FormatException($"{path}: every module of {deviceId} needs a moduleId");
                    }

                    device.Modules.Add(new ModuleConfiguration
                    {
                        ModuleId = moduleId,
                        PrimaryKey = mo["primaryKey"]?.GetValue<string>(),
                        Desired = mo["desired"] is JsonObject desired ? (JsonObject)desired.DeepClone() : null,
                    });
                }
            }

            configuration.Devices.Add(device);
        }

        return configuration;
    }

    /// <summary>One device per index: `{prefix}` alone for a single device, `{prefix}-{i}` (1-based) for a fleet.</summary>
    public static HubConfiguration FromManifest(string path, int devices, string devicePrefix, string iotHubHostName)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(devices, 1);
        var manifest = JsonNode.Parse(File.ReadAllText(path)) ?? throw new FormatException($"{path}: empty manifest");
        var configuration = new HubConfiguration { IotHubHostName = iotHubHostName };
        for (int i = 1; i <= devices; i++)
        {
            string id = devices == 1 ? devicePrefix : devicePrefix + "-" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            configuration.Devices.Add(HubConfiguration.DeviceFromManifest(id, manifest));
        }

        return configuration;
    }
}
