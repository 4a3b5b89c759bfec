using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using EdgeHub.Hosting;

namespace EdgeHub.Twin;

/// <summary>A twin change for status displays.</summary>
public sealed record TwinChange(string DeviceId, string ModuleId, string Section, long Version, DateTimeOffset At);

/// <summary>One module twin: desired and reported properties with their versions.</summary>
public sealed class ModuleTwin
{
    public JsonObject Desired { get; set; } = [];

    public long DesiredVersion { get; set; } = 1;

    public JsonObject Reported { get; set; } = [];

    public long ReportedVersion { get; set; } = 1;

    public JsonObject? Tags { get; set; }

    /// <summary>The document a module receives for `$iothub/twin/GET`: `{"desired":{..,"$version":n},"reported":{..,"$version":m}}`.</summary>
    public JsonObject ToDeviceDocument()
    {
        var desired = (JsonObject)Desired.DeepClone();
        desired["$version"] = DesiredVersion;
        var reported = (JsonObject)Reported.DeepClone();
        reported["$version"] = ReportedVersion;
        return new JsonObject { ["desired"] = desired, ["reported"] = reported };
    }

    /// <summary>The twin in IoT Hub's service REST shape (`deviceId`, `moduleId`, `etag`, `version`, `tags`, `properties`).</summary>
    public JsonObject ToServiceDocument(string deviceId, string moduleId) => new()
    {
        ["deviceId"] = deviceId,
        ["moduleId"] = moduleId,
        ["etag"] = "AAAAAAAAAA" + DesiredVersion.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["version"] = DesiredVersion + ReportedVersion,
        ["tags"] = Tags?.DeepClone() ?? new JsonObject(),
        ["properties"] = ToDeviceDocument(),
    };

    public JsonObject ToFileDocument() => new()
    {
        ["desired"] = Desired.DeepClone(),
        ["desiredVersion"] = DesiredVersion,
        ["reported"] = Reported.DeepClone(),
        ["reportedVersion"] = ReportedVersion,
        ["tags"] = Tags?.DeepClone(),
    };
}

/// <summary>
/// Keeps module twins, persisted as one JSON file per module under `{state}/twins/{device}/{module}.json`
/// (written to a temporary file and renamed, so a crash never leaves a torn twin).
/// Desired properties come from the deployment; a stored twin whose desired differs from the deployment is replaced
/// (as edgeAgent does on deploy) with a higher version.
/// </summary>
public sealed class TwinManager
{
    private readonly ConcurrentDictionary<string, ModuleTwin> _twins = new(StringComparer.Ordinal);
    private readonly string? _directory;

    public TwinManager(HubConfiguration configuration, string? stateDirectory)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        _directory = stateDirectory is null ? null : Path.Combine(stateDirectory, "twins");
        foreach (var device in configuration.Devices)
        {
            foreach (var module in device.Modules)
            {
                var twin = Load(device.DeviceId, module.ModuleId) ?? new ModuleTwin();
                if (module.Desired is not null && !JsonNode.DeepEquals(module.Desired, twin.Desired))
                {
                    twin.Desired = (JsonObject)module.Desired.DeepClone();
                    twin.DesiredVersion++;
                }

                _twins[Key(device.DeviceId, module.ModuleId)] = twin;
                Save(device.DeviceId, module.ModuleId, twin);
            }
        }
    }

    /// <summary>The most recent twin change (desired or reported), or null.</summary>
    public TwinChange? LastChange { get; private set; }

    /// <summary>Raised after desired properties changed: device, module, the patch (with `$version`).</summary>
    public event Action<string, string, JsonObject>? DesiredChanged;

    public bool TryGet(string deviceId, string moduleId, out ModuleTwin twin) => _twins.TryGetValue(Key(deviceId, moduleId), out twin!);

    /// <summary>Returns a consistent snapshot of the module's twin document (as a module reads it).</summary>
    public JsonObject? GetDeviceDocument(string deviceId, string moduleId)
    {
        if (!TryGet(deviceId, moduleId, out var twin))
        {
            return null;
        }

        lock (twin)
        {
            return twin.ToDeviceDocument();
        }
    }

    /// <summary>Merges a desired patch (JSON merge-patch semantics: null removes) and returns the new version.</summary>
    public long PatchDesired(string deviceId, string moduleId, JsonObject patch)
    {
        ArgumentNullException.ThrowIfNull(patch);
        if (!TryGet(deviceId, moduleId, out var twin))
        {
            throw new KeyNotFoundException($"module {deviceId}/{moduleId} is not known to this hub");
        }

        JsonObject notification;
        long version;
        lock (twin)
        {
            Merge(twin.Desired, patch);
            version = ++twin.DesiredVersion;
            Save(deviceId, moduleId, twin);
            notification = (JsonObject)patch.DeepClone();
            notification["$version"] = version;
        }

        LastChange = new TwinChange(deviceId, moduleId, "desired", version, DateTimeOffset.UtcNow);
        DesiredChanged?.Invoke(deviceId, moduleId, notification);
        return version;
    }

    /// <summary>Every module twin, as (device, module).</summary>
    public IEnumerable<(string DeviceId, string ModuleId)> Modules
    {
        get
        {
            foreach (string key in _twins.Keys)
            {
                int slash = key.IndexOf('/', StringComparison.Ordinal);
                yield return (key[..slash], key[(slash + 1)..]);
            }
        }
    }

    /// <summary>Merges a tags patch (service side only; modules never see tags).</summary>
    public void PatchTags(string deviceId, string moduleId, JsonObject patch)
    {
        ArgumentNullException.ThrowIfNull(patch);
        if (!TryGet(deviceId, moduleId, out var twin))
        {
            throw new KeyNotFoundException($"module {deviceId}/{moduleId} is not known to this hub");
        }

        lock (twin)
        {
            twin.Tags ??= [];
            Merge(twin.Tags, patch);
            Save(deviceId, moduleId, twin);
        }
    }

    /// <summary>Merges a reported patch sent by the module and returns the new reported version.</summary>
    public long PatchReported(string deviceId, string moduleId, JsonObject patch)
    {
        ArgumentNullException.ThrowIfNull(patch);
        if (!TryGet(deviceId, moduleId, out var twin))
        {
            throw new KeyNotFoundException($"module {deviceId}/{moduleId} is not known to this hub");
        }

        lock (twin)
        {
            Merge(twin.Reported, patch);
            long version = ++twin.ReportedVersion;
            Save(deviceId, moduleId, twin);
            LastChange = new TwinChange(deviceId, moduleId, "reported", version, DateTimeOffset.UtcNow);
            return version;
        }
    }

    /// <summary>JSON merge patch (RFC 7396) restricted to objects, as twin patches are.</summary>
    public static void Merge(JsonObject target, JsonObject patch)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(patch);
        foreach (var (name, value) in patch)
        {
            if (name.StartsWith('$'))
            {
                continue;
            }

            if (value is null)
            {
                target.Remove(name);
            }
            else if (value is JsonObject patchObject && target[name] is JsonObject targetObject)
            {
                Merge(targetObject, patchObject);
            }
            else
            {
                target[name] = value.DeepClone();
            }
        }
    }

    private static string Key(string deviceId, string moduleId) => deviceId + "/" + moduleId;

    private ModuleTwin? Load(string deviceId, string moduleId)
    {
        if (_directory is null)
        {
            return null;
        }

        string path = Path.Combine(_directory, deviceId, moduleId + ".json");
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            var node = JsonNode.Parse(File.ReadAllText(path)) as JsonObject;
            if (node is null)
            {
                return null;
            }

            return new ModuleTwin
            {
                Desired = node["desired"] as JsonObject is { } d ? (JsonObject)d.DeepClone() : [],
                DesiredVersion = node["desiredVersion"]?.GetValue<long>() ?? 1,
                Reported = node["reported"] as JsonObject is { } r ? (JsonObject)r.DeepClone() : [],
                ReportedVersion = node["reportedVersion"]?.GetValue<long>() ?? 1,
                Tags = node["tags"] as JsonObject is { } t ? (JsonObject)t.DeepClone() : null,
            };
        }
        catch (JsonException)
        {
            // A twin file is only ever replaced by rename, so this is outside damage: start from the deployment.
            return null;
        }
    }

    private void Save(string deviceId, string moduleId, ModuleTwin twin)
    {
        if (_directory is null)
        {
            return;
        }

        string folder = Path.Combine(_directory, deviceId);
        Directory.CreateDirectory(folder);
        string path = Path.Combine(folder, moduleId + ".json");
        string temp = path + ".tmp";
        File.WriteAllText(temp, twin.ToFileDocument().ToJsonString(HubJsonContext.Default.Options));
        File.Move(temp, path, overwrite: true);
    }
}
