using System.Text.Json;
using System.Text.Json.Nodes;

namespace EdgeCtl.Manifest;

/// <summary>
/// A module folder's <c>module.json</c> as iotedgedev reads it: <c>image.repository</c>, <c>image.tag.version</c>
/// (default <c>0.0.0</c>), <c>image.tag.platforms</c> (platform → Dockerfile), plus our extension
/// <c>"edge": { "inputs": [...], "outputs": [...] }</c> that declares the module's edgeHub endpoints for
/// <c>edgectl validate</c> (iotedgedev ignores unknown keys). <c>${VAR}</c> in its strings is expanded like the template.
/// </summary>
public sealed class ModuleDefinition
{
    private ModuleDefinition(string folder, string directory, string repository, string version, IReadOnlyDictionary<string, string> platforms, IReadOnlyList<string>? inputs, IReadOnlyList<string>? outputs)
    {
        Folder = folder;
        Directory = directory;
        Repository = repository;
        Version = version;
        Platforms = platforms;
        Inputs = inputs;
        Outputs = outputs;
    }

    /// <summary>The folder name under the modules root (the <c>F</c> of <c>${MODULES.F}</c>).</summary>
    public string Folder { get; }

    /// <summary>The folder's full path.</summary>
    public string Directory { get; }

    public string Repository { get; }

    public string Version { get; }

    /// <summary><c>image.tag.platforms</c>: platform (e.g. <c>amd64</c>, <c>amd64.debug</c>) → Dockerfile.</summary>
    public IReadOnlyDictionary<string, string> Platforms { get; }

    /// <summary>Declared input names (<c>edge.inputs</c>), or null when the module does not declare them.</summary>
    public IReadOnlyList<string>? Inputs { get; }

    /// <summary>Declared output names (<c>edge.outputs</c>), or null when the module does not declare them.</summary>
    public IReadOnlyList<string>? Outputs { get; }

    /// <summary>
    /// The image tag iotedgedev builds for <paramref name="platform"/>:
    /// <c>{repository lower-cased}:{version}[-{CONTAINER_TAG}]-{platform}</c>.
    /// </summary>
    public string ImageFor(string platform, string? containerTag)
    {
        ArgumentNullException.ThrowIfNull(platform);
        string suffix = string.IsNullOrEmpty(containerTag) ? string.Empty : "-" + containerTag;
        return $"{Repository.ToLowerInvariant()}:{Version}{suffix}-{platform}";
    }

    /// <summary>
    /// Reads <c>{modulesRoot}/{folder}/module.json</c>. Returns false with a reason when the folder or the file is
    /// missing or unreadable; names of variables that are not set are added to <paramref name="missingVariables"/>.
    /// </summary>
    public static bool TryLoad(string modulesRoot, string folder, Func<string, string?> variables, ICollection<string> missingVariables, out ModuleDefinition? definition, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(modulesRoot);
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentNullException.ThrowIfNull(variables);
        ArgumentNullException.ThrowIfNull(missingVariables);
        definition = null;
        string directory = Path.Combine(modulesRoot, folder);
        if (!System.IO.Directory.Exists(directory))
        {
            problem = $"module folder {directory} does not exist";
            return false;
        }

        string file = Path.Combine(directory, "module.json");
        if (!File.Exists(file))
        {
            problem = $"{file} is missing";
            return false;
        }

        JsonNode? root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(file), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException ex)
        {
            problem = $"{file} is not valid JSON: {ex.Message}";
            return false;
        }
        catch (IOException ex)
        {
            problem = $"{file} cannot be read: {ex.Message}";
            return false;
        }

        if (root is not JsonObject json)
        {
            problem = $"{file} must contain a JSON object";
            return false;
        }

        string Expand(string? text) => text is null ? string.Empty : Placeholders.ExpandVariables(text, variables, missingVariables);

        JsonObject? image = json["image"] as JsonObject;
        JsonObject? tag = image?["tag"] as JsonObject;
        string repository = Expand(AsString(image?["repository"]));
        string version = AsString(tag?["version"]) is { } v ? Expand(v) : "0.0.0";
        var platforms = new Dictionary<string, string>(StringComparer.Ordinal);
        if (tag?["platforms"] is JsonObject platformObject)
        {
            foreach (KeyValuePair<string, JsonNode?> entry in platformObject)
            {
                platforms[entry.Key] = Expand(AsString(entry.Value));
            }
        }

        JsonObject? edge = json["edge"] as JsonObject;
        definition = new ModuleDefinition(folder, directory, repository, version, platforms, ReadNames(edge?["inputs"]), ReadNames(edge?["outputs"]));
        problem = null;
        return true;
    }

    private static string? AsString(JsonNode? node) =>
        node is JsonValue value && value.TryGetValue(out string? text) ? text : null;

    private static List<string>? ReadNames(JsonNode? node)
    {
        if (node is not JsonArray array)
        {
            return null;
        }

        var names = new List<string>(array.Count);
        foreach (JsonNode? item in array)
        {
            if (AsString(item) is { } name)
            {
                names.Add(name);
            }
        }

        return names;
    }
}
