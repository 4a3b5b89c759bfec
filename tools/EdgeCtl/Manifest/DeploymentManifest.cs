using System.Text.Json.Nodes;

namespace EdgeCtl.Manifest;

/// <summary>A deployment manifest after placeholder resolution, with the parts `edgectl up` runs.</summary>
/// <param name="SourcePath">The template or manifest file it was read from.</param>
/// <param name="Resolved">The whole resolved document (`modulesContent` with every `${...}` substituted).</param>
/// <param name="Modules">The custom modules of `$edgeAgent.properties.desired.modules`.</param>
/// <param name="EdgeHubDesired">`$edgeHub.properties.desired` (routes, storeAndForwardConfiguration, schemaVersion).</param>
public sealed record DeploymentManifest(string SourcePath, JsonObject Resolved, IReadOnlyList<ModuleSpec> Modules, JsonObject EdgeHubDesired)
{
    /// <summary>module.json of each module whose image was an image placeholder, by module name (for declared inputs/outputs).</summary>
    public IReadOnlyDictionary<string, ModuleDefinition> ModuleDefinitions { get; init; } = new Dictionary<string, ModuleDefinition>();

    /// <summary>The platform <c>${MODULES.F}</c> resolved to (e.g. <c>amd64</c>).</summary>
    public string Platform { get; init; } = "amd64";

    /// <summary>The modules root module folders were looked up in, when the manifest could be read.</summary>
    public string? ModulesRoot { get; init; }
}

/// <summary>One custom module as edgeAgent would run it.</summary>
/// <param name="Name">The module id (key under `modules`).</param>
/// <param name="ModuleFolder">The module's folder (with module.json and its project) when the image was `${MODULES.Folder[.platform]}`, else null.</param>
/// <param name="Image">The resolved image name.</param>
/// <param name="Status">`running` or `stopped` (desired status).</param>
/// <param name="RestartPolicy">edgeAgent restart policy.</param>
/// <param name="StartupOrder">`startupOrder` (lower starts first; absent = int.MaxValue as in edgeAgent).</param>
/// <param name="Environment">`env` values (`{"NAME": {"value": "..."}}` flattened).</param>
/// <param name="CreateOptions">`settings.createOptions` as text, when present.</param>
/// <param name="Desired">The module twin's `properties.desired` from `modulesContent`, when present.</param>
public sealed record ModuleSpec(
    string Name,
    string? ModuleFolder,
    string Image,
    string Status,
    RestartPolicy RestartPolicy,
    int StartupOrder,
    IReadOnlyDictionary<string, string> Environment,
    string? CreateOptions,
    JsonObject? Desired);

/// <summary>edgeAgent's restart policies.</summary>
public enum RestartPolicy
{
    Never,
    OnFailure,
    OnUnhealthy,
    Always,
}

/// <summary>One problem found in a manifest: file, JSON path, message (printed one per line).</summary>
public sealed record ManifestProblem(string File, string JsonPath, string Message)
{
    public override string ToString() => $"{File}: {JsonPath}: {Message}";
}
