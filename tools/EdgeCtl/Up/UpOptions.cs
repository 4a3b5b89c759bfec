namespace EdgeCtl.Up;

/// <summary>Settings of `edgectl up`.</summary>
public sealed class UpOptions
{
    public string Manifest { get; set; } = "deployment.template.json";

    /// <summary>The .env file; a missing default `.env` is fine (variables may come from the environment).</summary>
    public string? EnvFile { get; set; }

    public string? ModulesRoot { get; set; }

    public string Platform { get; set; } = "amd64";

    public int Devices { get; set; } = 1;

    public string DeviceId { get; set; } = "edge-device";

    public string State { get; set; } = ".edge";

    public string IotHubHostName { get; set; } = "localhub.azure-devices.net";

    public int MqttPort { get; set; } = 1883;

    public int TlsPort { get; set; } = 8883;

    public int HttpPort { get; set; } = 15580;

    public bool Azurite { get; set; } = true;

    public int AzuriteBlobPort { get; set; } = 10000;

    public bool Plant { get; set; } = true;

    public int PlantControlPort { get; set; } = 15590;

    public bool Json { get; set; }

    public TimeSpan StatusInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Stop after this long (tests, demos); null runs until Ctrl+C.</summary>
    public TimeSpan? Duration { get; set; }

    /// <summary>Device ids: the id alone for one device, `{id}-{n}` for a fleet.</summary>
    public IReadOnlyList<string> DeviceIds()
    {
        var ids = new List<string>(Devices);
        for (int i = 1; i <= Devices; i++)
        {
            ids.Add(Devices == 1 ? DeviceId : DeviceId + "-" + i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        return ids;
    }

    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (!File.Exists(Manifest))
        {
            problems.Add($"--manifest: '{Manifest}' not found");
        }

        if (EnvFile is not null && !File.Exists(EnvFile))
        {
            problems.Add($"--env: '{EnvFile}' not found");
        }

        if (Devices is < 1 or > 200)
        {
            problems.Add("--devices must be 1..200");
        }

        foreach (var (name, port) in new[] { ("--mqtt-port", MqttPort), ("--http-port", HttpPort), ("--plant-port", PlantControlPort), ("--azurite-port", AzuriteBlobPort) })
        {
            if (port is < 0 or > 65535)
            {
                problems.Add($"{name} must be 0..65535");
            }
        }

        if (TlsPort is < -1 or > 65535)
        {
            problems.Add("--tls-port must be -1 (off) or 0..65535");
        }

        return problems;
    }
}
