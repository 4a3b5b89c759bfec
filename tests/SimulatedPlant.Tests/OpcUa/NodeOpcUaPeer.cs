using System.Text.Json;
using SimulatedPlant.OpcUa;
using TestSupport.Peers;

namespace SimulatedPlant.Tests.OpcUa;

/// <summary>Runs tests/peers/opcua-read.js (node-opcua client) and parses its JSON answer.</summary>
internal static class NodeOpcUaPeer
{
    public static string ModulesFolder => Path.GetDirectoryName(OpcUaPlantServer.FindScript(ScriptPeer.RepositoryRoot)
        ?? throw new InvalidOperationException("plant-server.js not found"))!;

    public static async Task<JsonElement> ReadAsync(string endpoint, string pkiFolder, params string[] nodeIds)
    {
        PeerResult result = await ScriptPeer.RunAsync(
            "node",
            [ScriptPeer.Peer("opcua-read.js"), "--modules", ModulesFolder, "--pki", pkiFolder, "--endpoint", endpoint, .. nodeIds],
            TimeSpan.FromSeconds(90));
        Assert.True(result.ExitCode == 0, $"node-opcua client failed ({result.ExitCode}): {result.StandardError}");
        string json = result.StandardOutput.Split('\n').Last(l => l.StartsWith('{'));
        using JsonDocument document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    public static JsonElement Value(JsonElement read, string nodeId)
        => read.GetProperty("values").EnumerateArray().Single(v => v.GetProperty("nodeId").GetString() == nodeId);
}
