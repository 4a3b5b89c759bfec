using System.Text.Json;
using System.Text.Json.Nodes;
using EdgeCtl.Manifest;

namespace EdgeCtl.Tests.Manifest;

/// <summary>A solution folder in a temp directory: a template, an optional .env, and module folders with module.json.</summary>
internal sealed class TemplateWorkspace : IDisposable
{
    public TemplateWorkspace()
    {
        Root = Path.Combine(Path.GetTempPath(), "edgectl-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    public string ModulesRoot => Path.Combine(Root, "modules");

    public string ManifestPath => Path.Combine(Root, "deployment.template.json");

    public Dictionary<string, string> Environment { get; } = new(StringComparer.Ordinal);

    public string WriteManifest(string json)
    {
        File.WriteAllText(ManifestPath, json);
        return ManifestPath;
    }

    public string WriteManifest(JsonNode json) => WriteManifest(json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));

    public string WriteEnv(string text, string name = ".env")
    {
        string path = Path.Combine(Root, name);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>Writes modules/{folder}/module.json as iotedgedev's C# module template does, optionally with our edge extension.</summary>
    public void AddModule(
        string folder,
        string repository = "${CONTAINER_REGISTRY_SERVER}/samplemodule",
        string version = "0.0.1",
        string[]? platforms = null,
        string[]? inputs = null,
        string[]? outputs = null)
    {
        platforms ??= ["amd64", "amd64.debug", "arm32v7", "arm32v7.debug", "arm64v8", "arm64v8.debug"];
        var platformObject = new JsonObject();
        foreach (string platform in platforms)
        {
            platformObject[platform] = "./Dockerfile." + platform;
        }

        var json = new JsonObject
        {
            ["$schema-version"] = "0.0.1",
            ["description"] = "",
            ["image"] = new JsonObject
            {
                ["repository"] = repository,
                ["tag"] = new JsonObject { ["version"] = version, ["platforms"] = platformObject },
                ["buildOptions"] = new JsonArray(),
                ["contextPath"] = "./",
            },
            ["language"] = "csharp",
        };
        if (inputs is not null || outputs is not null)
        {
            var edge = new JsonObject();
            if (inputs is not null)
            {
                edge["inputs"] = new JsonArray(inputs.Select(i => (JsonNode)i).ToArray());
            }

            if (outputs is not null)
            {
                edge["outputs"] = new JsonArray(outputs.Select(o => (JsonNode)o).ToArray());
            }

            json["edge"] = edge;
        }

        string directory = Path.Combine(ModulesRoot, folder);
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "module.json"), json.ToJsonString());
    }

    public ManifestLoadOptions Options(string? platform = null, string? envFile = null, string? modulesRoot = null) => new()
    {
        Platform = platform,
        EnvFile = envFile,
        ModulesRoot = modulesRoot,
        Environment = name => Environment.TryGetValue(name, out string? value) ? value : null,
    };

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
    }
}
