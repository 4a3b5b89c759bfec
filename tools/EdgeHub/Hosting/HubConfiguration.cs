using System.Text.Json;
using System.Text.Json.Nodes;

namespace EdgeHub.Hosting;

/// <summary>
/// What the local hub serves: its IoT Hub name, the devices it hosts, and per device the modules, routes,
/// store-and-forward time to live and desired properties (the `$edgeHub` and per-module sections of a manifest).
/// </summary>
public sealed class HubConfiguration
{
    public string IotHubHostName { get; set; } = "localhub.azure-devices.net";

    public List<DeviceConfiguration> Devices { get; } = [];

    /// <summary>
    /// Builds one device from an already resolved deployment manifest (placeholders substituted):
    /// modules from `$edgeAgent.properties.desired.modules`, routes and `storeAndForwardConfiguration`
    /// from `$edgeHub.properties.desired`, and each module's `properties.desired`.
    /// </summary>
    public static DeviceConfiguration DeviceFromManifest(string deviceId, JsonNode manifest)
    {
        ArgumentException.ThrowIfNullOrEmpty(deviceId);
        ArgumentNullException.ThrowIfNull(manifest);
        var content = manifest["modulesContent"] ?? manifest["content"]?["modulesContent"]
            ?? throw new FormatException("manifest has no modulesContent");
        var device = new DeviceConfiguration { DeviceId = deviceId };
        if (content["$edgeAgent"]?["properties.desired"]?["modules"] is JsonObject modules)
        {
            foreach (var (name, _) in modules)
            {
                device.Modules.Add(new ModuleConfiguration { ModuleId = name });
            }
        }

        if (content["$edgeHub"]?["properties.desired"] is JsonObject hub)
        {
            if (hub["routes"] is JsonObject routes)
            {
                device.Routes = JsonSerializer.SerializeToElement(routes, HubJsonContext.Default.JsonObject);
            }

            if (hub["storeAndForwardConfiguration"]?["timeToLiveSecs"] is JsonValue ttl && ttl.TryGetValue(out int seconds))
            {
                device.TimeToLiveSecs = seconds;
            }
        }

        foreach (var module in device.Modules)
        {
            if (content[module.ModuleId]?["properties.desired"] is JsonObject desired)
            {
                module.Desired = (JsonObject)desired.DeepClone();
            }
        }

        return device;
    }
}

public sealed class DeviceConfiguration
{
    public string DeviceId { get; set; } = "";

    public List<ModuleConfiguration> Modules { get; } = [];

    /// <summary>The `routes` object of `$edgeHub` (schema 1.0 strings or 1.1 objects).</summary>
    public JsonElement Routes { get; set; }

    /// <summary>Default time to live of stored messages (`storeAndForwardConfiguration.timeToLiveSecs`), 7200 as in edgeHub.</summary>
    public int TimeToLiveSecs { get; set; } = 7200;
}

public sealed class ModuleConfiguration
{
    public string ModuleId { get; set; } = "";

    /// <summary>Base64 symmetric key; generated and kept in the state folder when empty.</summary>
    public string? PrimaryKey { get; set; }

    public JsonObject? Desired { get; set; }
}
