using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using EdgeHub.Hosting;

namespace EdgeHub.Identity;

/// <summary>A module identity the hub knows: device, module and symmetric key.</summary>
public sealed record ModuleIdentity(string DeviceId, string ModuleId, byte[] PrimaryKey)
{
    public string ClientId => DeviceId + "/" + ModuleId;
}

/// <summary>Identities persisted in the state folder so that keys survive restarts (`identities.json`).</summary>
public sealed class IdentityFile
{
    public Dictionary<string, string> Keys { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Key of the `service` shared access policy that signs calls to the hub's service API.</summary>
    public string? ServiceKey { get; set; }
}

/// <summary>
/// The module identities of every hosted device. Keys come from the configuration or are generated once
/// (32 random bytes, as IoT Hub does) and stored in `identities.json` under the state folder.
/// </summary>
public sealed class IdentityRegistry
{
    private readonly ConcurrentDictionary<string, ModuleIdentity> _byClientId = new(StringComparer.Ordinal);

    public IdentityRegistry(HubConfiguration configuration, string? stateDirectory)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var file = new IdentityFile();
        string? path = stateDirectory is null ? null : Path.Combine(stateDirectory, "identities.json");
        if (path is not null && File.Exists(path))
        {
            file = JsonSerializer.Deserialize(File.ReadAllText(path), HubJsonContext.Default.IdentityFile) ?? new IdentityFile();
        }

        bool changed = false;
        if (file.ServiceKey is null)
        {
            file.ServiceKey = NewKey();
            changed = true;
        }

        ServiceKey = Convert.FromBase64String(file.ServiceKey);
        foreach (var device in configuration.Devices)
        {
            foreach (var module in device.Modules)
            {
                string clientId = device.DeviceId + "/" + module.ModuleId;
                string key = module.PrimaryKey ?? (file.Keys.TryGetValue(clientId, out var stored) ? stored : NewKey());
                if (!file.Keys.TryGetValue(clientId, out var existing) || existing != key)
                {
                    file.Keys[clientId] = key;
                    changed = true;
                }

                _byClientId[clientId] = new ModuleIdentity(device.DeviceId, module.ModuleId, Convert.FromBase64String(key));
            }
        }

        if (changed && path is not null)
        {
            Directory.CreateDirectory(stateDirectory!);
            string temp = path + ".tmp";
            File.WriteAllText(temp, JsonSerializer.Serialize(file, HubJsonContext.Default.IdentityFile));
            File.Move(temp, path, overwrite: true);
        }
    }

    public IEnumerable<ModuleIdentity> All => _byClientId.Values;

    /// <summary>The `service` policy key (IoT Hub's service SAS) for the hub's REST API.</summary>
    public byte[] ServiceKey { get; }

    public bool TryGet(string deviceId, string moduleId, out ModuleIdentity identity) =>
        _byClientId.TryGetValue(deviceId + "/" + moduleId, out identity!);

    public bool TryGetByClientId(string clientId, out ModuleIdentity identity) =>
        _byClientId.TryGetValue(clientId, out identity!);

    private static string NewKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
}
