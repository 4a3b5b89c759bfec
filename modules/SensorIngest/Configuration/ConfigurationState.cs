using System.Text.Json.Nodes;

namespace SensorIngest.Configuration;

/// <summary>What applying desired properties did.</summary>
public enum ApplyOutcome
{
    /// <summary>A new configuration replaced the running one.</summary>
    Applied,

    /// <summary>The desired properties had problems; the running configuration stays (see <see cref="ConfigurationState.Error"/>).</summary>
    Rejected,

    /// <summary>The desired properties hold no configuration; the default (or the running one) stays.</summary>
    Unchanged,
}

/// <summary>
/// The module's configuration as the twin drives it: desired properties (full document or patches merged into it)
/// go through <see cref="ConfigurationParser"/> and <see cref="IngestConfigurationValidator"/> before they replace the
/// running configuration. Not thread-safe: the worker applies documents one at a time.
/// </summary>
public sealed class ConfigurationState
{
    private JsonObject _desired = [];

    public ConfigurationState(IngestConfiguration? fallback) => Current = fallback;

    /// <summary>The configuration the pollers run (null: nothing to poll).</summary>
    public IngestConfiguration? Current { get; private set; }

    /// <summary>Problems of the last rejected document (reported as <c>configurationError</c>), null after a successful apply.</summary>
    public IReadOnlyList<string>? Error { get; private set; }

    /// <summary>Replaces the desired document (twin GET) and applies it.</summary>
    public ApplyOutcome ApplyDesired(JsonObject desired)
    {
        ArgumentNullException.ThrowIfNull(desired);
        _desired = (JsonObject)desired.DeepClone();
        return Apply();
    }

    /// <summary>Merges a desired-properties patch into the document (JSON merge patch: null removes) and applies the result.</summary>
    public ApplyOutcome ApplyPatch(JsonObject patch)
    {
        ArgumentNullException.ThrowIfNull(patch);
        Merge(_desired, patch);
        return Apply();
    }

    private ApplyOutcome Apply()
    {
        ConfigurationParseResult parsed = ConfigurationParser.Parse(_desired);
        if (!parsed.IsPresent)
        {
            Error = null;
            return ApplyOutcome.Unchanged;
        }

        List<string> problems = parsed.Configuration is null ? [.. parsed.Errors] : IngestConfigurationValidator.Problems(parsed.Configuration);
        if (problems.Count > 0)
        {
            Error = problems;
            return ApplyOutcome.Rejected;
        }

        Current = parsed.Configuration;
        Error = null;
        return ApplyOutcome.Applied;
    }

    // Twin desired patches follow JSON merge patch (RFC 7396): objects merge, null deletes, everything else replaces.
    internal static void Merge(JsonObject target, JsonObject patch)
    {
        foreach (KeyValuePair<string, JsonNode?> entry in patch)
        {
            if (entry.Value is null)
            {
                target.Remove(entry.Key);
            }
            else if (entry.Value is JsonObject child && target[entry.Key] is JsonObject existing)
            {
                Merge(existing, child);
            }
            else
            {
                target[entry.Key] = entry.Value.DeepClone();
            }
        }
    }
}
