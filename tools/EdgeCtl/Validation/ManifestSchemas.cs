using System.Collections.Concurrent;
using System.Text.Json;
using Json.Schema;

namespace EdgeCtl.Validation;

/// <summary>
/// Our JSON Schemas (tools/EdgeCtl/Schemas, embedded in the assembly): the template envelope, <c>$edgeAgent</c> desired
/// properties 1.0/1.1 and <c>$edgeHub</c> desired properties 1.0/1.1/1.2, evaluated with JsonSchema.Net.
/// </summary>
internal static class ManifestSchemas
{
    public const string Template = "deployment-template-4.0";
    public static readonly string[] EdgeAgentVersions = ["1.0", "1.1"];
    public static readonly string[] EdgeHubVersions = ["1.0", "1.1", "1.2"];

    private static readonly ConcurrentDictionary<string, JsonSchema> Cache = new(StringComparer.Ordinal);

    public static string EdgeAgent(string version) => $"edgeagent-desired-{version}";

    public static string EdgeHub(string version) => $"edgehub-desired-{version}";

    /// <summary>Evaluates <paramref name="instance"/>; returns (JSON pointer of the instance location, message) per error.</summary>
    public static List<(string Pointer, string Message)> Evaluate(string schemaName, JsonElement instance)
    {
        JsonSchema schema = Cache.GetOrAdd(schemaName, Load);
        EvaluationResults results = schema.Evaluate(instance, new EvaluationOptions { OutputFormat = OutputFormat.Hierarchical });
        var errors = new List<(string, string)>();
        Collect(results, errors);
        return errors;
    }

    /// <summary>
    /// Walks the hierarchical output and keeps only failures that make the document invalid: a subschema that failed
    /// under a passing <c>oneOf</c>/<c>anyOf</c>/<c>not</c> is not a problem (the flat list output would include it).
    /// </summary>
    private static void Collect(EvaluationResults result, List<(string, string)> errors)
    {
        if (result.IsValid)
        {
            return;
        }

        if (result.Errors is not null)
        {
            foreach (KeyValuePair<string, string> error in result.Errors)
            {
                // JsonSchema.Net writes a const as escaped JSON inside quotes: Expected "\u0022docker\u0022".
                string message = error.Value.Replace("\\u0022", string.Empty, StringComparison.Ordinal);
                errors.Add((result.InstanceLocation.ToString(), $"schema ({error.Key}): {message}"));
            }
        }

        foreach (EvaluationResults detail in result.Details ?? [])
        {
            Collect(detail, errors);
        }
    }

    private static JsonSchema Load(string name)
    {
        string resource = $"EdgeCtl.Schemas.{name}.schema.json";
        using Stream stream = typeof(ManifestSchemas).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"schema {resource} is not embedded in edgectl");
        using var reader = new StreamReader(stream);
        // A private registry per schema: each has its own $id, and the global registry must not see them twice.
        return JsonSchema.FromText(reader.ReadToEnd(), new BuildOptions { SchemaRegistry = new SchemaRegistry() });
    }
}
