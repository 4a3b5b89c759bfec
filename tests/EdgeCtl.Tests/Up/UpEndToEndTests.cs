using System.Text.Json.Nodes;

namespace EdgeCtl.Tests.Up;

[Trait("Category", "Integration")]
public sealed class UpEndToEndTests
{
    /// <summary>Processes whose environment names this state folder (modules started by edgectl).</summary>
    private static List<int> ModuleProcesses(string state)
    {
        var pids = new List<int>();
        foreach (string dir in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid))
            {
                continue;
            }

            try
            {
                if (File.ReadAllText(Path.Combine(dir, "environ")).Contains("EDGECTL_STATE=" + state, StringComparison.Ordinal))
                {
                    pids.Add(pid);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
            }
        }

        return pids;
    }

    private static readonly TimeSpan BuildAndStart = TimeSpan.FromSeconds(240);

    [Fact]
    public async Task Up_RunsTheManifest_MessageCrossesTheRoute_TwinPatchReachesTheModule_AndSurvivesKillMinus9AndStopsCleanly()
    {
        using var folder = new StateFolder("edgectl-e2e");
        string state = folder.Path;
        string data = Path.Combine(AppContext.BaseDirectory, "TestData");
        await using (var first = new EdgeCtlProcess(state))
        {
            first.Start(Path.Combine(data, "e2e.template.json"), Path.Combine(data, "e2e.env"));

            // A message from TestSender crossed the WHERE route into TestReceiver (which reports the last n it got).
            await first.WaitForTwinAsync("edge-device", "TestReceiver", t => t["properties"]?["reported"]?["lastN"] is not null, BuildAndStart);

            // The desired value from the manifest reached the module, and a patch through the service API does too.
            await first.WaitForTwinAsync("edge-device", "TestReceiver", t => (string?)t["properties"]?["reported"]?["echo"] == "initial", TimeSpan.FromSeconds(30));
            Assert.NotNull(await first.PatchDesiredAsync("edge-device", "TestReceiver", new JsonObject { ["value"] = "patched" }));
            await first.WaitForTwinAsync("edge-device", "TestReceiver", t => (string?)t["properties"]?["reported"]?["echo"] == "patched", TimeSpan.FromSeconds(30));

            first.KillMinus9();
        }

        // kill -9 left the modules running; a second up on the same state stops them, resumes twins and store.
        await using (var second = new EdgeCtlProcess(state))
        {
            second.Start(Path.Combine(data, "e2e.template.json"), Path.Combine(data, "e2e.env"));
            var twin = await second.WaitForTwinAsync("edge-device", "TestReceiver", t => t["properties"]?["reported"]?["lastN"] is not null, BuildAndStart);
            int before = twin["properties"]!["reported"]!["lastN"]!.GetValue<int>();
            await second.WaitForTwinAsync("edge-device", "TestReceiver", t => t["properties"]?["reported"]?["lastN"]?.GetValue<int>() > before, TimeSpan.FromSeconds(60));
            Assert.Contains("Stopped leftover process", second.OutputText(), StringComparison.Ordinal);

            int exitCode = await second.TerminateAsync(TimeSpan.FromSeconds(60));
            Assert.Equal(0, exitCode);
        }

        Assert.False(File.Exists(Path.Combine(state, "pids.json")), "a clean stop removes the process file");
        Assert.Empty(ModuleProcesses(state));
    }

    [Fact]
    public async Task Up_WithTwoDevices_RunsIndependentModulesTwinsAndRoutesPerDevice()
    {
        using var folder = new StateFolder("edgectl-fleet");
        string state = folder.Path;
        string data = Path.Combine(AppContext.BaseDirectory, "TestData");
        await using var up = new EdgeCtlProcess(state);
        up.Start(Path.Combine(data, "e2e.template.json"), Path.Combine(data, "e2e.env"), "--devices", "2");
        foreach (string device in new[] { "edge-device-1", "edge-device-2" })
        {
            await up.WaitForTwinAsync(device, "TestReceiver", t => t["properties"]?["reported"]?["lastN"] is not null, BuildAndStart);
        }

        // A patch to one device's module twin reaches that module only.
        Assert.NotNull(await up.PatchDesiredAsync("edge-device-2", "TestReceiver", new JsonObject { ["value"] = "only-2" }));
        await up.WaitForTwinAsync("edge-device-2", "TestReceiver", t => (string?)t["properties"]?["reported"]?["echo"] == "only-2", TimeSpan.FromSeconds(30));
        var other = await up.WaitForTwinAsync("edge-device-1", "TestReceiver", t => t["properties"]?["reported"]?["echo"] is not null, TimeSpan.FromSeconds(30));
        Assert.Equal("initial", (string?)other["properties"]!["reported"]!["echo"]);
        Assert.Equal(0, await up.TerminateAsync(TimeSpan.FromSeconds(60)));
        Assert.Empty(ModuleProcesses(state));
    }

    [Fact]
    public async Task Up_ModuleThatExitsWithAnError_IsRestartedByItsOnFailurePolicyWithBackoff()
    {
        using var folder = new StateFolder("edgectl-crash");
        string state = folder.Path;
        string data = Path.Combine(AppContext.BaseDirectory, "TestData");
        await using var up = new EdgeCtlProcess(state);

        // TestSender sends n = 0, 1, 2 and exits with code 3; on-failure restarts it after edgeAgent's 10 s cool-off.
        up.Start(Path.Combine(data, "e2e.template.json"), Path.Combine(data, "e2e-crash.env"));
        var status = await up.WaitForStatusAsync(s => ModuleRow(s, "TestSender")?["restarts"]?.GetValue<int>() >= 1 && (string?)ModuleRow(s, "TestSender")?["state"] is "Running" or "Exited" or "Backoff", BuildAndStart);
        Assert.True(ModuleRow(status, "TestSender")!["restarts"]!.GetValue<int>() >= 1);
        Assert.Equal("Running", (string?)ModuleRow(status, "TestReceiver")!["state"]);
        Assert.Equal(0, await up.TerminateAsync(TimeSpan.FromSeconds(60)));
    }

    private static JsonNode? ModuleRow(JsonNode status, string module)
    {
        foreach (var row in status["modules"]!.AsArray())
        {
            if ((string?)row!["module"] == module)
            {
                return row;
            }
        }

        return null;
    }

    /// <summary>A temporary state folder, deleted at the end of the test.</summary>
    private sealed class StateFolder(string prefix) : IDisposable
    {
        public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), prefix + "-" + Guid.NewGuid().ToString("N"));

        public void Dispose()
        {
            try
            {
                Directory.Delete(Path, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
