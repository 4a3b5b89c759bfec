using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using EdgeCtl.Manifest;
using EdgeHub.Messaging;
using EdgeHub.Routing;
using EdgeKit.Protocol;

namespace EdgeCtl.Routes;

/// <summary>What <c>edgectl route test</c> was asked to do (one of Route, Condition, Manifest).</summary>
internal sealed class RouteTestRequest
{
    public const string DefaultDeviceId = "edge-device";

    public string? Route { get; init; }

    public string? Condition { get; init; }

    public string? Manifest { get; init; }

    public string? EnvFile { get; init; }

    public string? ModulesRoot { get; init; }

    public string? SourceModule { get; init; }

    public string? Output { get; init; }

    public string DeviceId { get; init; } = DefaultDeviceId;

    /// <summary>A file path, <c>-</c> for stdin, or null for an empty body.</summary>
    public string? Body { get; init; }

    public IReadOnlyList<string> Properties { get; init; } = [];

    public IReadOnlyList<string> SystemProperties { get; init; } = [];

    public bool Json { get; init; }

    /// <summary>Problems found while reading the command line (reported with exit code 2).</summary>
    public IReadOnlyList<string> UsageErrors { get; init; } = [];
}

/// <summary>One route (or condition) evaluated against the message.</summary>
internal sealed record RouteTestResult(string? Name, bool SourceMatches, ConditionDiagnosis Condition, bool Routed, string? Sink);

/// <summary>Runs <c>edgectl route test</c> with the local hub's route engine and prints the result.</summary>
internal static class RouteTester
{
    public const int Routed = 0;
    public const int NotRouted = 1;
    public const int SyntaxOrUsageError = 2;

    private static readonly ConditionDiagnosis NoCondition = new(ConditionOutcome.True, "true", null);

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly Dictionary<string, string> KnownSystemProperties = new[]
    {
        SystemPropertyNames.MessageId, SystemPropertyNames.CorrelationId, SystemPropertyNames.UserId, SystemPropertyNames.To,
        SystemPropertyNames.ContentType, SystemPropertyNames.ContentEncoding, SystemPropertyNames.OutputName,
        SystemPropertyNames.ConnectionDeviceId, SystemPropertyNames.ConnectionModuleId, SystemPropertyNames.ExpiryTimeUtc,
        SystemPropertyNames.CreationTimeUtc, SystemPropertyNames.MessageSchema, SystemPropertyNames.InterfaceId,
        SystemPropertyNames.ComponentName, SystemPropertyNames.EnqueuedTime,
    }.ToDictionary(n => n, n => n, StringComparer.OrdinalIgnoreCase);

    public static async Task<int> RunAsync(RouteTestRequest request, TextReader stdin, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(stdin);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);

        var usage = new List<string>(request.UsageErrors);
        int modes = (request.Route is null ? 0 : 1) + (request.Condition is null ? 0 : 1) + (request.Manifest is null ? 0 : 1);
        if (modes != 1)
        {
            usage.Add("give exactly one of --route, --condition or --manifest");
        }

        if (request.Output is not null && request.SourceModule is null)
        {
            usage.Add("--output needs --source-module (leaf devices have no outputs)");
        }

        var properties = ReadPairs(request.Properties, "--prop", usage, canonical: null);
        var system = ReadPairs(request.SystemProperties, "--sys", usage, KnownSystemProperties);
        byte[] body = [];
        if (request.Body == "-")
        {
            // stdin is read as text and queried as UTF-8; use a file for a body in another encoding.
            body = Encoding.UTF8.GetBytes(await stdin.ReadToEndAsync(cancellationToken).ConfigureAwait(false));
        }
        else if (request.Body is not null)
        {
            try
            {
                body = await File.ReadAllBytesAsync(request.Body, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                usage.Add($"--body: cannot read {request.Body}: {ex.Message}");
            }
        }

        if (usage.Count > 0)
        {
            foreach (string problem in usage)
            {
                await stderr.WriteLineAsync($"edgectl route test: {problem}").ConfigureAwait(false);
            }

            await stderr.WriteLineAsync("usage: edgectl route test (--route \"FROM ... INTO ...\" | --condition \"EXPR\" | --manifest FILE) [--source-module M [--output O]] [--body FILE|-] [--prop key=value ...] [--sys name=value ...] [--json]").ConfigureAwait(false);
            return SyntaxOrUsageError;
        }

        HubMessage message = BuildMessage(request, body, properties, system);
        if (request.Manifest is not null)
        {
            return TestManifest(request, message, stdout, stderr);
        }

        bool isCondition = request.Condition is not null;
        string text = request.Route ?? request.Condition!;
        RouteTestResult result;
        try
        {
            if (isCondition)
            {
                CompiledCondition compiled = RouteParser.ParseCondition(text);
                ConditionDiagnosis diagnosis = compiled.Diagnose(message);
                result = new RouteTestResult(null, true, diagnosis, diagnosis.Outcome == ConditionOutcome.True, null);
            }
            else
            {
                Route route = RouteParser.Parse("route", text);
                result = Evaluate(route, message);
            }
        }
        catch (RouteSyntaxException ex)
        {
            return ReportSyntaxError(text, ex, request.Json, stdout, stderr);
        }

        if (request.Json)
        {
            stdout.WriteLine(ToJson(result, includeName: false));
        }
        else
        {
            WriteHuman(result, message, isCondition ? $"condition: {text}" : $"route:     {text}", isCondition, stdout);
            WriteBodyHint(text, message, stdout);
        }

        return result.Routed ? Routed : NotRouted;
    }

    internal static RouteTestResult Evaluate(Route route, HubMessage message)
    {
        MessageSource source = message.Source;
        bool sourceMatches = route.Source.Matches(in source);
        ConditionDiagnosis condition = route.Condition?.Diagnose(message) ?? NoCondition;
        return new RouteTestResult(route.Name, sourceMatches, condition, sourceMatches && condition.Outcome == ConditionOutcome.True, route.Sink.EndpointId);
    }

    private static int TestManifest(RouteTestRequest request, HubMessage message, TextWriter stdout, TextWriter stderr)
    {
        DeploymentManifest manifest = ManifestLoader.Load(request.Manifest!, new ManifestLoadOptions { EnvFile = request.EnvFile, ModulesRoot = request.ModulesRoot }, out IReadOnlyList<ManifestProblem> problems);

        // Problems outside $edgeHub (an unset image variable, a missing module folder) do not change routing: warn and go on.
        // A problem inside $edgeHub (an unresolved ${VAR} in a route) or an unreadable manifest makes the routes untestable.
        bool fatal = false;
        foreach (ManifestProblem problem in problems)
        {
            bool aboutRoutes = problem.JsonPath.Contains(ManifestLoader.EdgeHub, StringComparison.Ordinal) || problem.JsonPath == JsonPaths.Root;
            fatal |= aboutRoutes;
            stderr.WriteLine($"{(aboutRoutes ? "error" : "warning")}: {problem}");
        }

        if (fatal)
        {
            return SyntaxOrUsageError;
        }

        using JsonDocument routesDocument = JsonDocument.Parse(manifest.EdgeHubDesired["routes"]?.ToJsonString() ?? "null");
        RouteTable table = RouteTable.FromManifest(routesDocument.RootElement, out IReadOnlyList<RouteError> errors);
        foreach (RouteError error in errors)
        {
            string where = error.Line > 0 ? $" (line {error.Line}, column {error.Column})" : string.Empty;
            stderr.WriteLine($"{request.Manifest}: route {error.RouteName}: {error.Message}{where}");
        }

        var results = new List<RouteTestResult>(table.Routes.Count);
        foreach (Route route in table.Routes)
        {
            results.Add(Evaluate(route, message));
        }

        var delivered = new List<Route>();
        table.MatchEndpoints(message, delivered);
        if (request.Json)
        {
            WriteManifestJson(results, delivered, errors, stdout);
        }
        else
        {
            stdout.WriteLine($"message: {DescribeSource(message.Source)}");
            if (table.Routes.Count == 0 && errors.Count == 0)
            {
                stdout.WriteLine($"{request.Manifest} has no routes");
            }

            int width = results.Count == 0 ? 0 : results.Max(r => r.Name!.Length);
            foreach (RouteTestResult result in results)
            {
                stdout.WriteLine($"  {result.Name!.PadRight(width)}  {Verdict(result)}");
            }

            if (delivered.Count == 0)
            {
                stdout.WriteLine("not routed: no route delivers this message");
            }
            else
            {
                stdout.WriteLine($"delivered to {delivered.Count} endpoint(s):");
                foreach (Route route in delivered)
                {
                    stdout.WriteLine($"  {route.Sink.EndpointId}  (route {route.Name}, priority {route.Priority}, timeToLiveSecs {route.TimeToLiveSecs})");
                }
            }

            foreach (Route route in table.Routes)
            {
                if (WriteBodyHint(route.Text, message, stdout))
                {
                    break;
                }
            }
        }

        if (errors.Count > 0)
        {
            return SyntaxOrUsageError;
        }

        return delivered.Count > 0 ? Routed : NotRouted;
    }

    private static HubMessage BuildMessage(RouteTestRequest request, byte[] body, Dictionary<string, string> properties, Dictionary<string, string> system)
    {
        // edgeHub stamps these on every module message; an explicit --sys wins.
        system.TryAdd(SystemPropertyNames.ConnectionDeviceId, request.DeviceId);
        if (request.SourceModule is not null)
        {
            system.TryAdd(SystemPropertyNames.ConnectionModuleId, request.SourceModule);
            if (request.Output is not null)
            {
                system.TryAdd(SystemPropertyNames.OutputName, request.Output);
            }
        }

        return new HubMessage(body, properties, system)
        {
            Source = new MessageSource(MessageSourceKind.Telemetry, request.DeviceId, request.SourceModule, request.Output),
        };
    }

    private static Dictionary<string, string> ReadPairs(IReadOnlyList<string> pairs, string option, List<string> usage, Dictionary<string, string>? canonical)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string pair in pairs)
        {
            int equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                usage.Add($"{option} '{pair}': expected name=value");
                continue;
            }

            string name = pair[..equals];
            if (canonical is not null && canonical.TryGetValue(name, out string? known))
            {
                name = known;
            }

            result[name] = pair[(equals + 1)..];
        }

        return result;
    }

    private static int ReportSyntaxError(string text, RouteSyntaxException ex, bool json, TextWriter stdout, TextWriter stderr)
    {
        stderr.WriteLine($"edgectl route test: syntax error at line {ex.Line}, column {ex.Column}: {ex.Reason}");
        string[] lines = text.Split('\n');
        if (ex.Line >= 1 && ex.Line <= lines.Length)
        {
            string line = lines[ex.Line - 1].TrimEnd('\r');
            stderr.WriteLine($"  {line}");
            stderr.WriteLine($"  {new string(' ', Math.Max(0, Math.Min(ex.Column - 1, line.Length)))}^");
        }

        if (json)
        {
            var failed = new RouteTestResult(null, false, new ConditionDiagnosis(ConditionOutcome.Error, "undefined", ex.Message), false, null);
            stdout.WriteLine(ToJson(failed, includeName: false));
        }

        return SyntaxOrUsageError;
    }

    private static void WriteHuman(RouteTestResult result, HubMessage message, string header, bool isCondition, TextWriter stdout)
    {
        stdout.WriteLine(header);
        stdout.WriteLine($"message:   {DescribeSource(message.Source)}");
        if (!isCondition)
        {
            stdout.WriteLine($"source:    {(result.SourceMatches ? "matches" : "does not match")}");
        }

        stdout.WriteLine($"condition: {DescribeCondition(result.Condition)}");
        if (!isCondition)
        {
            stdout.WriteLine($"sink:      {result.Sink}");
        }

        stdout.WriteLine(result.Routed ? $"routed:    yes{(result.Sink is null ? string.Empty : " -> " + result.Sink)}" : "routed:    no");
    }

    private static string Verdict(RouteTestResult result)
    {
        if (result.Routed)
        {
            return $"routed -> {result.Sink}";
        }

        return result.SourceMatches
            ? $"not routed: condition {DescribeCondition(result.Condition)}"
            : "not routed: source does not match";
    }

    private static string DescribeCondition(ConditionDiagnosis condition) => condition.Outcome switch
    {
        ConditionOutcome.True => "true",
        ConditionOutcome.False => "false",
        ConditionOutcome.Undefined => "undefined (does not route)",
        ConditionOutcome.NotBoolean => $"undefined: the value is {condition.Value}, not a boolean (does not route)",
        _ => $"error: {condition.Error} (value {condition.Value}, does not route)",
    };

    private static string DescribeSource(MessageSource source) => source.ModuleId is null
        ? $"from leaf device {source.DeviceId} (source /messages)"
        : source.OutputName is null
            ? $"from module {source.ModuleId}, no output (source /messages/modules/{source.ModuleId})"
            : $"from module {source.ModuleId}, output {source.OutputName} (source /messages/modules/{source.ModuleId}/outputs/{source.OutputName})";

    /// <summary>The most common surprise: $body is undefined unless contentType and contentEncoding say JSON.</summary>
    private static bool WriteBodyHint(string text, HubMessage message, TextWriter stdout)
    {
        if (!text.Contains("$body", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        message.SystemProperties.TryGetValue(SystemPropertyNames.ContentType, out string? contentType);
        message.SystemProperties.TryGetValue(SystemPropertyNames.ContentEncoding, out string? contentEncoding);
        bool json = contentType is not null && contentType.Split(';')[0].Trim().Equals("application/json", StringComparison.OrdinalIgnoreCase);
        bool encoding = contentEncoding is not null && contentEncoding.Trim().ToUpperInvariant() is "UTF-8" or "UTF8" or "UTF-16" or "UTF16" or "UTF-32" or "UTF32";
        if (json && encoding)
        {
            return false;
        }

        stdout.WriteLine($"hint:      $body is undefined for this message: contentType is {contentType ?? "not set"} and contentEncoding is {contentEncoding ?? "not set"}; add --sys contentType=application/json --sys contentEncoding=utf-8");
        return true;
    }

    /// <summary><c>{"sourceMatches": bool, "condition": true|false|"undefined", "error": null|"...", "routed": bool, "sink": "..."}</c>.</summary>
    internal static string ToJson(RouteTestResult result, bool includeName)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            WriteResult(writer, result, includeName);
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void WriteResult(Utf8JsonWriter writer, RouteTestResult result, bool includeName)
    {
        writer.WriteStartObject();
        if (includeName)
        {
            writer.WriteString("name", result.Name);
        }

        writer.WriteBoolean("sourceMatches", result.SourceMatches);
        switch (result.Condition.Outcome)
        {
            case ConditionOutcome.True:
                writer.WriteBoolean("condition", true);
                break;
            case ConditionOutcome.False:
                writer.WriteBoolean("condition", false);
                break;
            case ConditionOutcome.Error when result.Condition.Value == "false":
                writer.WriteBoolean("condition", false);
                break;
            default:
                // edgeHub treats a non-boolean result as undefined: it does not route.
                writer.WriteString("condition", "undefined");
                break;
        }

        if (result.Condition.Error is null)
        {
            writer.WriteNull("error");
        }
        else
        {
            writer.WriteString("error", result.Condition.Error);
        }

        writer.WriteBoolean("routed", result.Routed);
        if (result.Sink is null)
        {
            writer.WriteNull("sink");
        }
        else
        {
            writer.WriteString("sink", result.Sink);
        }

        writer.WriteEndObject();
    }

    private static void WriteManifestJson(List<RouteTestResult> results, List<Route> delivered, IReadOnlyList<RouteError> errors, TextWriter stdout)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteBoolean("routed", delivered.Count > 0);
            writer.WriteStartArray("routes");
            foreach (RouteTestResult result in results)
            {
                WriteResult(writer, result, includeName: true);
            }

            writer.WriteEndArray();
            writer.WriteStartArray("delivered");
            foreach (Route route in delivered)
            {
                writer.WriteStartObject();
                writer.WriteString("sink", route.Sink.EndpointId);
                writer.WriteString("route", route.Name);
                writer.WriteNumber("priority", route.Priority);
                writer.WriteNumber("timeToLiveSecs", route.TimeToLiveSecs);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteStartArray("errors");
            foreach (RouteError error in errors)
            {
                writer.WriteStartObject();
                writer.WriteString("name", error.RouteName);
                writer.WriteNumber("line", error.Line);
                writer.WriteNumber("column", error.Column);
                writer.WriteString("message", error.Message);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        stdout.WriteLine(Encoding.UTF8.GetString(buffer.ToArray()));
    }
}
