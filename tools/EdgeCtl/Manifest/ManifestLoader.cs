using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace EdgeCtl.Manifest;

/// <summary>
/// Reads a deployment template as iotedgedev does (<c>iotedgedev genconfig</c>/<c>build</c>): loads <c>.env</c>
/// (process environment wins), expands <c>${VAR}</c> in every string, replaces a module's <c>settings.image</c> of
/// <c>${MODULES.Folder[.platform]}</c> with the tag built from <c>{modulesRoot}/{Folder}/module.json</c>, and extracts
/// the modules <c>edgectl up</c> runs. Never throws for a bad template: every problem is returned.
/// </summary>
public static class ManifestLoader
{
    internal const string EdgeAgent = "$edgeAgent";
    internal const string EdgeHub = "$edgeHub";
    internal const string Desired = "properties.desired";
    private const string DefaultPlatform = "amd64";

    public static DeploymentManifest Load(string manifestPath, ManifestLoadOptions options, out IReadOnlyList<ManifestProblem> problems)
    {
        ArgumentNullException.ThrowIfNull(manifestPath);
        ArgumentNullException.ThrowIfNull(options);
        var found = new List<ManifestProblem>();
        problems = found;
        string text;
        try
        {
            text = File.ReadAllText(manifestPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            found.Add(new ManifestProblem(manifestPath, JsonPaths.Root, $"cannot read the manifest: {ex.Message}"));
            return Empty(manifestPath);
        }

        return LoadText(manifestPath, text, options, found);
    }

    internal static DeploymentManifest LoadText(string manifestPath, string text, ManifestLoadOptions options, List<ManifestProblem> found)
    {
        if (!TryParse(manifestPath, text, found, out JsonObject? root))
        {
            return Empty(manifestPath);
        }

        string manifestDirectory = Path.GetDirectoryName(Path.GetFullPath(manifestPath)) ?? ".";
        Func<string, string?> environment = options.Environment;
        string envFileDescription = ".env";
        IReadOnlyDictionary<string, string> dotEnv = ReadDotEnv(manifestPath, manifestDirectory, options, environment, found, ref envFileDescription);
        string? Variables(string name) => environment(name) ?? (dotEnv.TryGetValue(name, out string? v) ? v : null);

        var context = new Context(manifestPath, Variables, envFileDescription, found);
        ExpandTree(root!, JsonPaths.Root, context);

        string platform = options.Platform ?? NonEmpty(Variables("DEFAULT_PLATFORM")) ?? DefaultPlatform;
        string modulesRoot = options.ModulesRoot
            ?? Path.Combine(manifestDirectory, NonEmpty(Variables("MODULES_PATH")) ?? "modules");
        string? containerTag = NonEmpty(Variables("CONTAINER_TAG"));

        JsonObject? content = (root!["modulesContent"] ?? root["moduleContent"]) as JsonObject;
        string contentPath = JsonPaths.Property(JsonPaths.Root, root.ContainsKey("modulesContent") || !root.ContainsKey("moduleContent") ? "modulesContent" : "moduleContent");
        JsonObject? agentDesired = (content?[EdgeAgent] as JsonObject)?[Desired] as JsonObject;
        string agentDesiredPath = JsonPaths.Property(JsonPaths.Property(contentPath, EdgeAgent), Desired);

        var folders = new Dictionary<string, ModuleDefinition>(StringComparer.Ordinal);
        var definitions = new Dictionary<string, ModuleDefinition>(StringComparer.Ordinal);
        var moduleFolders = new Dictionary<string, string>(StringComparer.Ordinal);
        var resolvedImages = new HashSet<JsonNode>(ReferenceEqualityComparer.Instance);
        foreach (string section in new[] { "systemModules", "modules" })
        {
            if (agentDesired?[section] is not JsonObject modules)
            {
                continue;
            }

            string sectionPath = JsonPaths.Property(agentDesiredPath, section);
            foreach (KeyValuePair<string, JsonNode?> module in modules)
            {
                if (module.Value is not JsonObject spec || spec["settings"] is not JsonObject settings || settings["image"] is not JsonValue imageNode
                    || !imageNode.TryGetValue(out string? image)
                    || !Placeholders.TryParseImagePlaceholder(image, out string folder, out string? wanted, out bool isModuleDir))
                {
                    continue;
                }

                string imagePath = JsonPaths.Property(JsonPaths.Property(JsonPaths.Property(sectionPath, module.Key), "settings"), "image");
                resolvedImages.Add(imageNode);
                moduleFolders[module.Key] = folder;
                string lookupRoot = isModuleDir ? manifestDirectory : modulesRoot;
                if (!folders.TryGetValue(lookupRoot + "\0" + folder, out ModuleDefinition? definition))
                {
                    var missing = new List<string>();
                    if (!ModuleDefinition.TryLoad(lookupRoot, folder, Variables, missing, out definition, out string? problem))
                    {
                        found.Add(new ManifestProblem(manifestPath, imagePath, $"{image}: {problem}"));
                        continue;
                    }

                    foreach (string name in missing.Distinct(StringComparer.Ordinal))
                    {
                        found.Add(new ManifestProblem(manifestPath, imagePath, $"{image}: variable {name} used by {Path.Combine(definition!.Directory, "module.json")} is not set (neither in the environment nor in {envFileDescription})"));
                    }

                    folders[lookupRoot + "\0" + folder] = definition!;
                }

                definitions[module.Key] = definition!;
                string target = wanted is null ? platform : wanted == "debug" ? platform + ".debug" : wanted;
                if (!definition!.Platforms.ContainsKey(target))
                {
                    found.Add(new ManifestProblem(manifestPath, imagePath, $"{image}: platform {target} is not declared in {Path.Combine(definition.Directory, "module.json")} (image.tag.platforms has {(definition.Platforms.Count == 0 ? "none" : string.Join(", ", definition.Platforms.Keys))})"));
                    continue;
                }

                settings["image"] = definition.ImageFor(target, containerTag);
                resolvedImages.Add(settings["image"]!);
            }
        }

        ReportLeftoverImagePlaceholders(root, JsonPaths.Root, resolvedImages, context);

        var specs = new List<ModuleSpec>();
        if (agentDesired?["modules"] is JsonObject userModules)
        {
            foreach (KeyValuePair<string, JsonNode?> module in userModules)
            {
                JsonObject? desired = (content?[module.Key] as JsonObject)?[Desired] as JsonObject;
                specs.Add(ToSpec(module.Key, module.Value as JsonObject, moduleFolders.GetValueOrDefault(module.Key), desired));
            }
        }

        JsonObject hubDesired = (content?[EdgeHub] as JsonObject)?[Desired] as JsonObject ?? [];
        return new DeploymentManifest(manifestPath, root, specs, hubDesired)
        {
            ModuleDefinitions = definitions,
            Platform = platform,
            ModulesRoot = modulesRoot,
        };
    }

    /// <summary>edgeAgent's restart policy names (<c>RestartPolicy</c> in Microsoft.Azure.Devices.Edge.Agent.Core).</summary>
    public static bool TryParseRestartPolicy(string? text, out RestartPolicy policy)
    {
        switch (text)
        {
            case "never": policy = RestartPolicy.Never; return true;
            case "on-failure": policy = RestartPolicy.OnFailure; return true;
            case "on-unhealthy": policy = RestartPolicy.OnUnhealthy; return true;
            case "always": policy = RestartPolicy.Always; return true;
            default: policy = RestartPolicy.Always; return false;
        }
    }

    internal static bool TryParse(string manifestPath, string text, List<ManifestProblem> found, out JsonObject? root)
    {
        root = null;
        try
        {
            // JsonNode.Parse throws (lazily, on first enumeration) for a repeated key; IoT Hub keeps the last one. Read a
            // JsonDocument, which allows them, and build the nodes with last-wins; the validator reports the duplicates.
            using JsonDocument document = JsonDocument.Parse(text);
            root = ToNode(document.RootElement) as JsonObject;
            if (root is null)
            {
                found.Add(new ManifestProblem(manifestPath, JsonPaths.Root, "the manifest must be a JSON object"));
                return false;
            }

            return true;
        }
        catch (JsonException ex)
        {
            string reason = ex.Message;
            int cut = reason.IndexOf(" Path:", StringComparison.Ordinal);
            if (cut < 0)
            {
                cut = reason.IndexOf(" LineNumber:", StringComparison.Ordinal);
            }

            if (cut > 0)
            {
                reason = reason[..cut];
            }

            string where = ex.LineNumber is long line ? $" (line {line + 1}, column {ex.BytePositionInLine.GetValueOrDefault() + 1})" : string.Empty;
            found.Add(new ManifestProblem(manifestPath, ex.Path ?? JsonPaths.Root, $"invalid JSON{where}: {reason}"));
            return false;
        }
    }

    private static JsonNode? ToNode(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var obj = new JsonObject();
                foreach (JsonProperty property in element.EnumerateObject())
                {
                    obj[property.Name] = ToNode(property.Value);
                }

                return obj;
            case JsonValueKind.Array:
                var array = new JsonArray();
                foreach (JsonElement item in element.EnumerateArray())
                {
                    array.Add(ToNode(item));
                }

                return array;
            case JsonValueKind.String:
                return JsonValue.Create(element.GetString());
            case JsonValueKind.True:
                return JsonValue.Create(true);
            case JsonValueKind.False:
                return JsonValue.Create(false);
            case JsonValueKind.Number:
                return JsonValue.Create(element.Clone());
            default:
                return null;
        }
    }

    private static IReadOnlyDictionary<string, string> ReadDotEnv(string manifestPath, string manifestDirectory, ManifestLoadOptions options, Func<string, string?> environment, List<ManifestProblem> found, ref string description)
    {
        string? explicitFile = options.EnvFile;
        string? fromEnvironment = NonEmpty(environment("DOTENV_FILE")?.Trim('"').Trim('\''));
        string path = explicitFile ?? Path.Combine(manifestDirectory, fromEnvironment ?? ".env");
        description = path;
        if (!File.Exists(path))
        {
            if (explicitFile is not null)
            {
                found.Add(new ManifestProblem(manifestPath, JsonPaths.Root, $"env file {explicitFile} does not exist"));
            }

            return new Dictionary<string, string>();
        }

        try
        {
            return DotEnvFile.Parse(File.ReadAllText(path), environment);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            found.Add(new ManifestProblem(manifestPath, JsonPaths.Root, $"cannot read env file {path}: {ex.Message}"));
            return new Dictionary<string, string>();
        }
    }

    private static void ExpandTree(JsonNode node, string path, Context context)
    {
        switch (node)
        {
            case JsonObject obj:
                if (obj.Any(p => p.Key.Contains("${", StringComparison.Ordinal)))
                {
                    var entries = obj.ToList();
                    obj.Clear();
                    foreach (KeyValuePair<string, JsonNode?> entry in entries)
                    {
                        string key = context.Expand(entry.Key, JsonPaths.Property(path, entry.Key));
                        obj[key] = entry.Value;
                    }
                }

                foreach (KeyValuePair<string, JsonNode?> entry in obj.ToList())
                {
                    string childPath = JsonPaths.Property(path, entry.Key);
                    if (entry.Value is JsonValue value && value.TryGetValue(out string? s))
                    {
                        string expanded = context.Expand(s, childPath);
                        if (!ReferenceEquals(expanded, s))
                        {
                            obj[entry.Key] = expanded;
                        }
                    }
                    else if (entry.Value is not null)
                    {
                        ExpandTree(entry.Value, childPath, context);
                    }
                }

                break;
            case JsonArray array:
                for (int i = 0; i < array.Count; i++)
                {
                    string childPath = JsonPaths.Index(path, i);
                    if (array[i] is JsonValue value && value.TryGetValue(out string? s))
                    {
                        string expanded = context.Expand(s, childPath);
                        if (!ReferenceEquals(expanded, s))
                        {
                            array[i] = expanded;
                        }
                    }
                    else if (array[i] is { } child)
                    {
                        ExpandTree(child, childPath, context);
                    }
                }

                break;
            default:
                break;
        }
    }

    private static void ReportLeftoverImagePlaceholders(JsonNode node, string path, HashSet<JsonNode> resolvedImages, Context context)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (KeyValuePair<string, JsonNode?> entry in obj)
                {
                    string childPath = JsonPaths.Property(path, entry.Key);
                    ReportImagePlaceholders(entry.Key, childPath, context);
                    if (entry.Value is not null)
                    {
                        ReportLeftoverImagePlaceholders(entry.Value, childPath, resolvedImages, context);
                    }
                }

                break;
            case JsonArray array:
                for (int i = 0; i < array.Count; i++)
                {
                    if (array[i] is { } child)
                    {
                        ReportLeftoverImagePlaceholders(child, JsonPaths.Index(path, i), resolvedImages, context);
                    }
                }

                break;
            case JsonValue value when !resolvedImages.Contains(value) && value.TryGetValue(out string? s):
                ReportImagePlaceholders(s, path, context);
                break;
            default:
                break;
        }
    }

    private static void ReportImagePlaceholders(string text, string path, Context context)
    {
        if (!text.Contains("${", StringComparison.Ordinal))
        {
            return;
        }

        foreach (System.Text.RegularExpressions.Match match in Placeholders.Any().Matches(text))
        {
            if (Placeholders.IsImagePlaceholderName(match.Groups[1].Value))
            {
                context.Found.Add(new ManifestProblem(context.ManifestPath, path, $"unresolved placeholder {match.Value}: image placeholders are expanded only as the whole value of a module's settings.image"));
            }
        }
    }

    private static ModuleSpec ToSpec(string name, JsonObject? spec, string? folder, JsonObject? desired)
    {
        JsonObject? settings = spec?["settings"] as JsonObject;
        string image = Text(settings?["image"]) ?? string.Empty;
        string status = Text(spec?["status"]) ?? "running";
        // An unknown policy is reported by the validator; edgectl up falls back to edgeAgent's default.
        RestartPolicy restart = TryParseRestartPolicy(Text(spec?["restartPolicy"]) ?? "always", out RestartPolicy parsed) ? parsed : RestartPolicy.Always;
        int startupOrder = int.MaxValue;
        if (spec?["startupOrder"] is JsonValue order && order.GetValueKind() == JsonValueKind.Number && order.TryGetValue(out decimal number))
        {
            // edgeAgent reads startupOrder as uint (default 4294967295); larger than int.MaxValue means "last".
            startupOrder = number >= int.MaxValue ? int.MaxValue : number < 0 ? 0 : (int)number;
        }

        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        if (spec?["env"] is JsonObject env)
        {
            foreach (KeyValuePair<string, JsonNode?> entry in env)
            {
                JsonNode? value = (entry.Value as JsonObject)?["value"];
                environment[entry.Key] = value is null ? string.Empty : Text(value) ?? value.ToJsonString();
            }
        }

        return new ModuleSpec(name, folder, image, status, restart, startupOrder, environment, CreateOptions(settings), desired);
    }

    /// <summary><c>createOptions</c> as edgeAgent sees it: a string (an object is serialised) plus <c>createOptions01..07</c>.</summary>
    private static string? CreateOptions(JsonObject? settings)
    {
        JsonNode? first = settings?["createOptions"];
        if (first is null)
        {
            return null;
        }

        string text = Text(first) ?? first.ToJsonString();
        for (int i = 1; i < 8; i++)
        {
            if (Text(settings![$"createOptions{i.ToString("00", CultureInfo.InvariantCulture)}"]) is not { } more)
            {
                break;
            }

            text += more;
        }

        return text;
    }

    private static string? Text(JsonNode? node) =>
        node is JsonValue value && value.TryGetValue(out string? text) ? text : null;

    private static string? NonEmpty(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();

    private static DeploymentManifest Empty(string manifestPath) => new(manifestPath, [], [], []);

    private sealed class Context(string manifestPath, Func<string, string?> variables, string envFile, List<ManifestProblem> found)
    {
        public string ManifestPath { get; } = manifestPath;

        public List<ManifestProblem> Found { get; } = found;

        public string Expand(string text, string path)
        {
            if (!text.Contains("${", StringComparison.Ordinal))
            {
                return text;
            }

            var missing = new List<string>();
            string expanded = Placeholders.ExpandVariables(text, variables, missing);
            foreach (string name in missing.Distinct(StringComparer.Ordinal))
            {
                Found.Add(new ManifestProblem(ManifestPath, path, name.Length == 0
                    ? "unresolved placeholder ${}: empty variable name"
                    : $"variable {name} is not set (neither in the environment nor in {envFile})"));
            }

            return missing.Count == 0 && expanded == text ? text : expanded;
        }
    }
}
