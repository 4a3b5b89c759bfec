using System.Text.Json;
using TestSupport.Peers;

namespace SimulatedPlant.Tests.Modbus;

/// <summary>Runs tests/peers/modbus-client.py (Debian python3-pymodbus) against a server and parses its JSON answer.</summary>
internal static class PymodbusPeer
{
    public const string Python = "/usr/bin/python3";

    public static async Task<JsonElement[]> RunAsync(int port, string operationsJson, byte unit = 1)
    {
        PeerResult result = await ScriptPeer.RunAsync(
            Python,
            [ScriptPeer.Peer("modbus-client.py"), "127.0.0.1", port.ToString(System.Globalization.CultureInfo.InvariantCulture), unit.ToString(System.Globalization.CultureInfo.InvariantCulture), operationsJson],
            TimeSpan.FromSeconds(60));
        Assert.True(result.ExitCode == 0, $"pymodbus peer failed ({result.ExitCode}): {result.StandardError}");
        using JsonDocument document = JsonDocument.Parse(result.StandardOutput);
        return [.. document.RootElement.EnumerateArray().Select(e => e.Clone())];
    }

    public static ushort[] Registers(JsonElement result)
    {
        Assert.True(result.TryGetProperty("registers", out JsonElement registers), result.ToString());
        return [.. registers.EnumerateArray().Select(r => r.GetUInt16())];
    }

    public static bool[] Bits(JsonElement result)
    {
        Assert.True(result.TryGetProperty("bits", out JsonElement bits), result.ToString());
        return [.. bits.EnumerateArray().Select(b => b.GetBoolean())];
    }

    public static int ExceptionCode(JsonElement result)
    {
        Assert.True(result.TryGetProperty("exception", out JsonElement code), result.ToString());
        return code.GetInt32();
    }

    public static void Ok(JsonElement result) => Assert.True(result.TryGetProperty("ok", out _), result.ToString());

    /// <summary>float32 from two registers, high word first (the plant's input-register layout).</summary>
    public static float Float(ushort[] registers, int index)
        => BitConverter.UInt32BitsToSingle(((uint)registers[2 * index] << 16) | registers[(2 * index) + 1]);
}
