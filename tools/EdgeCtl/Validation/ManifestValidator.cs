using System.Text.Json;
using System.Text.Json.Nodes;
using EdgeCtl.Manifest;
using EdgeHub.Routing;

namespace EdgeCtl.Validation;

/// <summary>
/// Checks a deployment template or manifest (docs/edgectl-validate.md): JSON, duplicate keys, placeholders, the JSON
/// schemas of the template and of <c>$edgeAgent</c>/<c>$edgeHub</c> desired properties, module status and restart
/// policy, routes (syntax, priority, time to live, source and sink modules and their declared outputs/inputs). Used by
/// <c>edgectl validate</c> and by <c>edgectl up</c>, which refuses a manifest with problems.
/// </summary>
public static class ManifestValidator
{
    private static readonly string[] Statuses = ["running", "stopped"];
    private static readonly string[] RestartPolicies = ["never", "on-failure", "on-unhealthy", "always"];

    /// <summary>Every problem of the manifest at <paramref name="manifestPath"/>; empty when it is clean.</summary>
    public static IReadOnlyList<ManifestProblem> Validate(string manifestPath, ManifestLoadOptions options) =>
        Validate(manifestPath, options, out _);

    /// <summary>As <see cref="Validate(string, ManifestLoadOptions)"/>, and hands out the loaded manifest (empty when unreadable).</summary>
    public static IReadOnlyList<ManifestProblem> Validate(string manifestPath, ManifestLoadOptions options, out DeploymentManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifestPath);
        ArgumentNullException.ThrowIfNull(options);
        var problems = new List<ManifestProblem>();
        string text;
        try
        {
            text = File.ReadAllText(manifestPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            problems.Add(new ManifestProblem(manifestPath, JsonPaths.Root, $"cannot read the manifest: {ex.Message}"));
            manifest = new DeploymentManifest(manifestPath, [], [], []);
            return problems;
        }

        if (!ManifestLoader.TryParse(manifestPath, text, problems, out _))
        {
            manifest = new DeploymentManifest(manifestPath, [], [], []);
            return problems;
        }

        foreach ((string objectPath, string name) in DuplicateKeyScanner.Scan(text))
        {
            bool isRoutes = objectPath.EndsWith("$edgeHub['properties.desired'].routes", StringComparison.Ordinal);
            problems.Add(new ManifestProblem(manifestPath, JsonPaths.Property(objectPath, name), isRoutes
                ? $"duplicate route name '{name}': only the last definition would be used"
                : $"duplicate key '{name}': only the last value would be used"));
        }

        manifest = ManifestLoader.LoadText(manifestPath, text, options, problems);
        new Rules(manifestPath, manifest, problems).Run();
        return problems;
    }

    private sealed class Rules(string file, DeploymentManifest manifest, List<ManifestProblem> problems)
    {
        private readonly HashSet<string> reported = new(StringComparer.Ordinal);
        private string? routesEntriesPath;

        public void Run()
        {
            foreach (ManifestProblem problem in problems)
            {
                reported.Add(problem.JsonPath);
            }

            JsonObject root = manifest.Resolved;
            bool legacy = !root.ContainsKey("modulesContent") && root.ContainsKey("moduleContent");
            string contentPath = JsonPaths.Property(JsonPaths.Root, legacy ? "moduleContent" : "modulesContent");
            JsonObject? content = root[legacy ? "moduleContent" : "modulesContent"] as JsonObject;
            string agentPath = JsonPaths.Property(JsonPaths.Property(contentPath, ManifestLoader.EdgeAgent), ManifestLoader.Desired);
            string hubPath = JsonPaths.Property(JsonPaths.Property(contentPath, ManifestLoader.EdgeHub), ManifestLoader.Desired);
            JsonObject? agent = (content?[ManifestLoader.EdgeAgent] as JsonObject)?[ManifestLoader.Desired] as JsonObject;
            JsonObject? hub = (content?[ManifestLoader.EdgeHub] as JsonObject)?[ManifestLoader.Desired] as JsonObject;

            string? agentVersion = SchemaVersion(agent, agentPath, "$edgeAgent", ManifestSchemas.EdgeAgentVersions);
            string? hubVersion = SchemaVersion(hub, hubPath, "$edgeHub", ManifestSchemas.EdgeHubVersions);
            CheckModules(agent, agentPath, agentVersion);
            CheckRoutes(agent, hub, hubPath, hubVersion);

            if (!legacy)
            {
                Schema(ManifestSchemas.Template, root, JsonPaths.Root);
            }

            if (agent is not null && agentVersion is not null)
            {
                Schema(ManifestSchemas.EdgeAgent(agentVersion), agent, agentPath);
            }

            if (hub is not null && hubVersion is not null)
            {
                Schema(ManifestSchemas.EdgeHub(hubVersion), hub, hubPath);
            }
        }

        private string? SchemaVersion(JsonObject? desired, string desiredPath, string twin, string[] supported)
        {
            if (desired is null)
            {
                return null;
            }

            string path = JsonPaths.Property(desiredPath, "schemaVersion");
            string? version = Text(desired["schemaVersion"]);
            if (version is not null && supported.Contains(version, StringComparer.Ordinal))
            {
                return version;
            }

            if (version is null || !version.Contains("${", StringComparison.Ordinal))
            {
                Add(path, $"{twin} schemaVersion {(version is null ? "is missing or not a string" : $"'{version}' is not supported")} (supported: {string.Join(", ", supported)})");
            }

            return null;
        }

        private void CheckModules(JsonObject? agent, string agentPath, string? agentVersion)
        {
            if (agent?["modules"] is not JsonObject modules)
            {
                return;
            }

            string modulesPath = JsonPaths.Property(agentPath, "modules");
            foreach (KeyValuePair<string, JsonNode?> module in modules)
            {
                if (module.Value is not JsonObject spec)
                {
                    continue;
                }

                string path = JsonPaths.Property(modulesPath, module.Key);
                if (spec["status"] is { } status && (Text(status) is not { } s || !Statuses.Contains(s, StringComparer.Ordinal)))
                {
                    Add(JsonPaths.Property(path, "status"), $"status {status.ToJsonString()} is not one of {string.Join(", ", Statuses)}");
                }

                if (spec["restartPolicy"] is { } policy && !ManifestLoader.TryParseRestartPolicy(Text(policy), out _))
                {
                    Add(JsonPaths.Property(path, "restartPolicy"), $"restartPolicy {policy.ToJsonString()} is not one of {string.Join(", ", RestartPolicies)}");
                }

                if (agentVersion == "1.0" && spec.ContainsKey("startupOrder"))
                {
                    Add(JsonPaths.Property(path, "startupOrder"), "startupOrder needs $edgeAgent schemaVersion 1.1 (edgeAgent ignores it under 1.0)");
                }
            }
        }

        private void CheckRoutes(JsonObject? agent, JsonObject? hub, string hubPath, string? hubVersion)
        {
            if (hub?["routes"] is not JsonObject routes)
            {
                return;
            }

            // The rules below check every route entry completely (form, priority, time to live, text), so schema
            // errors inside an entry (e.g. the failed string branch of the 1.1 oneOf) would only repeat them.
            routesEntriesPath = JsonPaths.Property(hubPath, "routes");

            var modules = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            if (agent?["modules"] is JsonObject declared)
            {
                foreach (KeyValuePair<string, JsonNode?> module in declared)
                {
                    modules.Add(module.Key);
                }
            }

            string routesPath = JsonPaths.Property(hubPath, "routes");
            foreach (KeyValuePair<string, JsonNode?> entry in routes)
            {
                string path = JsonPaths.Property(routesPath, entry.Key);
                string textPath = path;
                string? text;
                int priority = Route.HighestPriority;
                int ttl = 0;
                switch (entry.Value)
                {
                    case JsonValue value when value.TryGetValue(out string? s):
                        text = s;
                        break;
                    case JsonObject obj:
                        if (hubVersion == "1.0")
                        {
                            Add(path, "$edgeHub schemaVersion 1.0 takes routes as strings; a route object (priority, timeToLiveSecs) needs 1.1 or later");
                        }

                        textPath = JsonPaths.Property(path, "route");
                        text = Text(obj["route"]);
                        if (text is null)
                        {
                            Add(path, "a route object needs a \"route\" string");
                            continue;
                        }

                        if (obj["priority"] is { } p && !TryInteger(p, out priority, Route.HighestPriority, Route.LowestPriority))
                        {
                            Add(JsonPaths.Property(path, "priority"), $"priority must be an integer from {Route.HighestPriority} (highest) to {Route.LowestPriority} (lowest), not {p.ToJsonString()}");
                            priority = Route.HighestPriority;
                        }

                        // edgeHub's RouteSpec takes timeToLiveSecs as uint, so any negative value (-1 included) makes
                        // it reject the whole configuration; 0 or leaving it out means the store's default.
                        if (obj["timeToLiveSecs"] is { } t && !TryInteger(t, out ttl, 0, int.MaxValue))
                        {
                            Add(JsonPaths.Property(path, "timeToLiveSecs"), t.ToJsonString() == "-1"
                                ? "timeToLiveSecs -1 is rejected by edgeHub (it reads an unsigned integer); leave it out or use 0 for the store's default"
                                : $"timeToLiveSecs must be a non-negative integer (0 = the store's default), not {t.ToJsonString()}");
                            ttl = 0;
                        }

                        break;
                    default:
                        Add(path, "a route must be a string (schema 1.0) or an object with \"route\" (schema 1.1)");
                        continue;
                }

                if (text.Contains("${", StringComparison.Ordinal))
                {
                    continue; // reported as an unresolved placeholder
                }

                Route route;
                try
                {
                    route = RouteParser.Parse(entry.Key, text, priority, ttl);
                }
                catch (RouteSyntaxException ex)
                {
                    Add(textPath, $"route syntax error at line {ex.Line}, column {ex.Column}: {ex.Reason}");
                    continue;
                }

                CheckSource(route, textPath, modules);
                CheckSink(route, textPath, modules);
            }
        }

        private void CheckSource(Route route, string path, HashSet<string> modules)
        {
            RouteSource source = route.Source;
            if (source.ModuleId is null || source.Kind is not (RouteSourceKind.Module or RouteSourceKind.ModuleAnyOutput or RouteSourceKind.ModuleOutput))
            {
                return;
            }

            if (!modules.Contains(source.ModuleId))
            {
                Add(path, $"route source module '{source.ModuleId}' is not a module of this deployment");
                return;
            }

            if (source.Kind == RouteSourceKind.ModuleOutput && source.OutputName is not null
                && Definition(source.ModuleId) is { Outputs: { } outputs } definition
                && !outputs.Contains(source.OutputName, StringComparer.OrdinalIgnoreCase))
            {
                Add(path, $"module '{source.ModuleId}' has no output '{source.OutputName}' ({ModuleJson(definition)} declares edge.outputs: {List(outputs)})");
            }
        }

        private void CheckSink(Route route, string path, HashSet<string> modules)
        {
            RouteSink sink = route.Sink;
            if (sink.Kind != RouteSinkKind.ModuleInput || sink.ModuleId is null)
            {
                return;
            }

            if (!modules.Contains(sink.ModuleId))
            {
                Add(path, $"route sink module '{sink.ModuleId}' is not a module of this deployment");
                return;
            }

            if (sink.InputName is not null
                && Definition(sink.ModuleId) is { Inputs: { } inputs } definition
                && !inputs.Contains(sink.InputName, StringComparer.OrdinalIgnoreCase))
            {
                Add(path, $"module '{sink.ModuleId}' has no input '{sink.InputName}' ({ModuleJson(definition)} declares edge.inputs: {List(inputs)})");
            }
        }

        private ModuleDefinition? Definition(string moduleId)
        {
            foreach (KeyValuePair<string, ModuleDefinition> entry in manifest.ModuleDefinitions)
            {
                if (string.Equals(entry.Key, moduleId, StringComparison.OrdinalIgnoreCase))
                {
                    return entry.Value;
                }
            }

            return null;
        }

        private void Schema(string schemaName, JsonNode instance, string basePath)
        {
            JsonElement element = JsonSerializer.SerializeToElement(instance);
            foreach ((string pointer, string message) in ManifestSchemas.Evaluate(schemaName, element))
            {
                string path = PathOf(element, basePath, pointer, out JsonElement? value);
                bool unresolved = value is { ValueKind: JsonValueKind.String } s && s.GetString()!.Contains("${", StringComparison.Ordinal);
                if (reported.Contains(path) || unresolved || IsRouteEntry(path))
                {
                    continue;
                }

                problems.Add(new ManifestProblem(file, path, message));
            }
        }

        private bool IsRouteEntry(string path) =>
            routesEntriesPath is not null && path.Length > routesEntriesPath.Length && path.StartsWith(routesEntriesPath, StringComparison.Ordinal)
            && path[routesEntriesPath.Length] is '.' or '[';

        /// <summary>
        /// Turns a JSON pointer into a printed path, walking the instance so that array indexes print as <c>[0]</c>
        /// rather than as a property named "0"; <paramref name="value"/> is the element found, if any.
        /// </summary>
        private static string PathOf(JsonElement root, string basePath, string pointer, out JsonElement? value)
        {
            string path = basePath;
            JsonElement? current = root;
            string trimmed = pointer.StartsWith('#') ? pointer[1..] : pointer;
            if (trimmed.Length > 0)
            {
                foreach (string raw in trimmed[1..].Split('/'))
                {
                    string segment = raw.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
                    if (current is { ValueKind: JsonValueKind.Array } array && int.TryParse(segment, out int index) && index >= 0)
                    {
                        path = JsonPaths.Index(path, index);
                        current = index < array.GetArrayLength() ? array[index] : null;
                    }
                    else
                    {
                        path = JsonPaths.Property(path, segment);
                        current = current is { ValueKind: JsonValueKind.Object } obj && obj.TryGetProperty(segment, out JsonElement next) ? next : null;
                    }
                }
            }

            value = current;
            return path;
        }

        private void Add(string path, string message)
        {
            reported.Add(path);
            problems.Add(new ManifestProblem(file, path, message));
        }

        private static bool TryInteger(JsonNode node, out int value, int min, int max)
        {
            value = 0;
            if (node is JsonValue v && v.GetValueKind() == JsonValueKind.Null)
            {
                value = min < 0 ? 0 : min;
                return true;
            }

            return node is JsonValue number && number.GetValueKind() == JsonValueKind.Number
                && number.TryGetValue(out decimal d) && d == decimal.Truncate(d) && d >= min && d <= max
                && (value = (int)d) == value;
        }

        private static string ModuleJson(ModuleDefinition definition) => Path.Combine(definition.Directory, "module.json");

        private static string List(IReadOnlyList<string> names) => names.Count == 0 ? "none" : string.Join(", ", names);

        private static string? Text(JsonNode? node) =>
            node is JsonValue value && value.TryGetValue(out string? text) ? text : null;
    }
}
