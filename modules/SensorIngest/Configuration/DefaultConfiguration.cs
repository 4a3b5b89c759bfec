using SensorIngest.Modbus;

namespace SensorIngest.Configuration;

/// <summary>
/// The configuration used when the twin has none: the simulated plant's pump line (docs/simulated-plant.md) at
/// <c>PLANT_MODBUS_ENDPOINT</c>, so a local <c>edgectl up</c> shows telemetry without any twin authoring.
/// </summary>
public static class DefaultConfiguration
{
    public const string EndpointVariable = "PLANT_MODBUS_ENDPOINT";

    /// <summary>Input registers 2i, 2i+1 hold signal i as float32, high word first (the plant's register map).</summary>
    private static readonly (string Name, string Unit)[] PlantSignals =
    [
        ("vibration.rms", "mm/s"),
        ("vibration.1x", "mm/s"),
        ("vibration.2x", "mm/s"),
        ("vibration.3x", "mm/s"),
        ("vibration.bearing", "mm/s"),
        ("vibration.crest", "1"),
        ("temperature", "degC"),
        ("pressure", "bar"),
        ("flow", "m3/h"),
        ("current", "A"),
        ("speed", "rpm"),
    ];

    /// <summary>The plant configuration for <paramref name="endpoint"/> (host:port), or null when it is not set.</summary>
    public static IngestConfiguration? FromEndpoint(string? endpoint)
    {
        if (string.IsNullOrWhiteSpace(endpoint))
        {
            return null;
        }

        var errors = new List<string>();
        (string host, int port) = ConfigurationParser.SplitEndpoint(endpoint.Trim(), 502, EndpointVariable, errors);
        var points = new List<PointConfiguration>(PlantSignals.Length);
        for (int i = 0; i < PlantSignals.Length; i++)
        {
            points.Add(new PointConfiguration
            {
                Signal = "pump1." + PlantSignals[i].Name,
                Function = 4,
                Address = 2 * i,
                Type = PointType.Float32,
                Order = PointOrder.ABCD,
                Unit = PlantSignals[i].Unit,
            });
        }

        return new IngestConfiguration
        {
            Schema = ConfigurationSchema.Default,
            Slaves =
            [
                new SlaveConfiguration { Name = "pump1", Host = host, Port = port, UnitId = 1, PollingInterval = TimeSpan.FromSeconds(1), Points = points },
            ],
        };
    }
}
