using System.Security.Cryptography.X509Certificates;
using EdgeKit.Auth;

namespace EdgeKit.Client;

/// <summary>Who the module is and how it signs: from <c>EdgeHubConnectionString</c> or the IoT Edge environment.</summary>
/// <param name="IotHubHostName">IoT Hub host name (appears in the username and the token resource).</param>
/// <param name="DeviceId">Device id.</param>
/// <param name="ModuleId">Module id.</param>
/// <param name="GatewayHostName">The edgeHub host to connect to; null connects to <paramref name="IotHubHostName"/>.</param>
/// <param name="Signer">Signs SAS tokens.</param>
/// <param name="TrustBundle">Loads the CA certificates that validate the hub's TLS certificate (null: system store).</param>
public sealed record ModuleConnectionSettings(
    string IotHubHostName,
    string DeviceId,
    string ModuleId,
    string? GatewayHostName,
    ISignatureProvider Signer,
    Func<CancellationToken, Task<X509Certificate2Collection>>? TrustBundle = null)
{
    /// <summary>The host the client connects to.</summary>
    public string ConnectHost => string.IsNullOrEmpty(GatewayHostName) ? IotHubHostName : GatewayHostName;

    /// <summary>The SAS resource: <c>{hub}/devices/{device}/modules/{module}</c>.</summary>
    public string TokenResource => $"{IotHubHostName}/devices/{DeviceId}/modules/{ModuleId}";

    /// <summary>
    /// Parses <c>HostName=..;DeviceId=..;ModuleId=..;SharedAccessKey=..[;GatewayHostName=..]</c>.
    /// </summary>
    /// <exception cref="EdgeKitConfigurationException">A field is missing or the key is not base64.</exception>
    public static ModuleConnectionSettings FromConnectionString(string connectionString)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        var fields = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (string part in connectionString.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new EdgeKitConfigurationException($"Malformed connection string field '{part.Split('=')[0]}'.");
            }

            // Values (base64 keys) may themselves contain '='.
            fields[part[..eq]] = part[(eq + 1)..];
        }

        var missing = new[] { "HostName", "DeviceId", "ModuleId", "SharedAccessKey" }.Where(k => !fields.ContainsKey(k) || fields[k].Length == 0).ToList();
        if (missing.Count > 0)
        {
            throw new EdgeKitConfigurationException($"Connection string lacks {string.Join(", ", missing)}.");
        }

        KeySignatureProvider signer;
        try
        {
            signer = new KeySignatureProvider(fields["SharedAccessKey"]);
        }
        catch (FormatException)
        {
            throw new EdgeKitConfigurationException("SharedAccessKey is not base64.");
        }

        return new ModuleConnectionSettings(fields["HostName"], fields["DeviceId"], fields["ModuleId"], fields.GetValueOrDefault("GatewayHostName"), signer);
    }

    /// <summary>
    /// Reads the variables edgeAgent gives every module: <c>IOTEDGE_WORKLOADURI, IOTEDGE_DEVICEID, IOTEDGE_MODULEID,
    /// IOTEDGE_IOTHUBHOSTNAME, IOTEDGE_GATEWAYHOSTNAME, IOTEDGE_MODULEGENERATIONID, IOTEDGE_AUTHSCHEME, IOTEDGE_APIVERSION</c>.
    /// </summary>
    public static ModuleConnectionSettings FromEdgeEnvironment(Func<string, string?> getVariable)
    {
        ArgumentNullException.ThrowIfNull(getVariable);
        string[] required = ["IOTEDGE_WORKLOADURI", "IOTEDGE_DEVICEID", "IOTEDGE_MODULEID", "IOTEDGE_IOTHUBHOSTNAME", "IOTEDGE_MODULEGENERATIONID"];
        var missing = required.Where(n => string.IsNullOrEmpty(getVariable(n))).ToList();
        if (missing.Count > 0)
        {
            throw new EdgeKitConfigurationException($"Neither EdgeHubConnectionString nor the IoT Edge variables are set (missing {string.Join(", ", missing)}).");
        }

        string scheme = getVariable("IOTEDGE_AUTHSCHEME") ?? "sasToken";
        if (!string.Equals(scheme, "sasToken", StringComparison.OrdinalIgnoreCase))
        {
            throw new EdgeKitConfigurationException($"IOTEDGE_AUTHSCHEME '{scheme}' is not supported (only sasToken).");
        }

        if (!Uri.TryCreate(getVariable("IOTEDGE_WORKLOADURI"), UriKind.Absolute, out Uri? workloadUri))
        {
            throw new EdgeKitConfigurationException("IOTEDGE_WORKLOADURI is not an absolute URI.");
        }

        string moduleId = getVariable("IOTEDGE_MODULEID")!;
        var workload = new WorkloadApiClient(workloadUri, getVariable("IOTEDGE_APIVERSION"));
        return new ModuleConnectionSettings(
            getVariable("IOTEDGE_IOTHUBHOSTNAME")!,
            getVariable("IOTEDGE_DEVICEID")!,
            moduleId,
            getVariable("IOTEDGE_GATEWAYHOSTNAME"),
            new WorkloadSignatureProvider(workload, moduleId, getVariable("IOTEDGE_MODULEGENERATIONID")!),
            workload.GetTrustBundleAsync);
    }
}
