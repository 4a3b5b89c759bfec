using EdgeCtl.Manifest;
using EdgeCtl.Validation;

namespace EdgeCtl.Up;

/// <summary>Resolves and validates the manifest for `up`, with the local peers' endpoints available as variables.</summary>
internal static class ManifestSource
{
    /// <summary>Endpoints of the local peers that a manifest may reference (`${PLANT_MODBUS_ENDPOINT}`, ...).</summary>
    public static IReadOnlyDictionary<string, string> LocalVariables(UpOptions options) => new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["PLANT_MODBUS_ENDPOINT"] = "127.0.0.1:" + PlantRunner.ModbusPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["PLANT_OPCUA_ENDPOINT"] = "opc.tcp://127.0.0.1:" + PlantRunner.OpcUaPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["PLANT_CONTROL_URL"] = "http://127.0.0.1:" + options.PlantControlPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    public static (DeploymentManifest? Manifest, IReadOnlyList<ManifestProblem> Problems) Load(UpOptions options, string state)
    {
        _ = state;
        var local = LocalVariables(options);
        var loadOptions = new ManifestLoadOptions
        {
            EnvFile = options.EnvFile,
            ModulesRoot = options.ModulesRoot,
            Platform = options.Platform,
            Environment = name => Environment.GetEnvironmentVariable(name) ?? local.GetValueOrDefault(name),
        };
        // The same rules as `edgectl validate`: a manifest that would not deploy does not run either.
        var problems = ManifestValidator.Validate(options.Manifest, loadOptions, out var manifest);
        return (manifest, problems);
    }
}
