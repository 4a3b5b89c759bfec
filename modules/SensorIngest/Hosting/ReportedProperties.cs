using System.Text.Json.Nodes;
using SensorIngest.Configuration;
using SensorIngest.Polling;

namespace SensorIngest.Hosting;

/// <summary>Builds the reported-properties patch: effective configuration, configuration error, per-slave health.</summary>
public static class ReportedProperties
{
    /// <summary>Twin property names may not contain '.', '$', ' ' or '#'; slave names from the archived schema can ("Slave01.Op01").</summary>
    public static string Key(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.Replace('.', '_').Replace('$', '_').Replace(' ', '_').Replace('#', '_');
    }

    public static JsonObject Build(IngestConfiguration? configuration, IReadOnlyList<string>? error, IReadOnlyList<SlaveHealth> health, IReadOnlySet<string> previousSlaves, HubTelemetrySink? sink)
    {
        ArgumentNullException.ThrowIfNull(health);
        ArgumentNullException.ThrowIfNull(previousSlaves);
        var slaves = new JsonObject();
        foreach (string old in previousSlaves)
        {
            slaves[old] = null; // merge patch: slaves that left the configuration disappear from the twin
        }

        var configured = new JsonObject();
        foreach (string old in previousSlaves)
        {
            configured[old] = null;
        }

        if (configuration is not null)
        {
            foreach (SlaveConfiguration s in configuration.Slaves)
            {
                configured[Key(s.Name)] = new JsonObject
                {
                    ["endpoint"] = $"{s.Host}:{s.Port}",
                    ["unitId"] = s.UnitId,
                    ["pollingIntervalMs"] = s.PollingInterval.TotalMilliseconds,
                    ["points"] = s.Points.Count,
                    ["requestsPerCycle"] = ReadPlan.Build(s.Points).Count,
                    ["hwId"] = s.HwId,
                };
            }
        }

        foreach (SlaveHealth h in health)
        {
            slaves[Key(h.Name)] = new JsonObject
            {
                ["connected"] = h.Connected,
                ["lastError"] = h.LastError,
                ["lastErrorAt"] = h.LastErrorAt?.UtcDateTime.ToString("O"),
                ["pollLatencyMs"] = Math.Round(h.PollLatencyMs, 3),
                ["errorCount"] = h.ErrorCount,
                ["pollCount"] = h.PollCount,
                ["missedSlots"] = h.MissedSlots,
            };
        }

        JsonArray? errors = null;
        if (error is not null)
        {
            errors = [];
            foreach (string e in error)
            {
                errors.Add(e);
            }
        }

        var patch = new JsonObject
        {
            ["configuration"] = configuration is null ? null : new JsonObject
            {
                ["schema"] = configuration.Schema.ToString().ToLowerInvariant(),
                ["publishIntervalMs"] = configuration.PublishInterval.TotalMilliseconds,
                ["slaves"] = configured,
            },
            ["configurationError"] = errors,
            ["slaves"] = slaves,
        };
        if (sink is not null)
        {
            patch["telemetry"] = new JsonObject { ["sent"] = sink.Sent, ["dropped"] = sink.Dropped, ["failed"] = sink.Failed, ["queued"] = sink.Queued };
        }

        return patch;
    }
}
