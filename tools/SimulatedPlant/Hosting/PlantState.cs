using System.Text.Json.Serialization;

namespace SimulatedPlant.Hosting;

/// <summary>Body of `GET /plant` and of the fault endpoints' responses.</summary>
public sealed record PlantState
{
    /// <summary>Simulated time of the snapshot, ISO 8601 UTC.</summary>
    public required DateTimeOffset Ts { get; init; }

    public required long Step { get; init; }

    /// <summary>Signal name (for example "vibration.rms") to value in engineering units.</summary>
    public required Dictionary<string, double> Values { get; init; }

    /// <summary>Signal name to unit.</summary>
    public required Dictionary<string, string> Units { get; init; }

    /// <summary>Active faults by wire name.</summary>
    public required IReadOnlyList<string> Faults { get; init; }

    public string? StuckSignal { get; init; }

    public int ModbusPort { get; init; }

    public int? OpcUaPort { get; init; }

    public string? OpcUaEndpoint { get; init; }
}

/// <summary>Error body of the control API.</summary>
public sealed record PlantError(string Error, IReadOnlyList<string> Allowed);

/// <summary>Source-generated JSON for the control API (server and `edgectl plant`).</summary>
[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(PlantState))]
[JsonSerializable(typeof(PlantError))]
public sealed partial class PlantJsonContext : JsonSerializerContext;
