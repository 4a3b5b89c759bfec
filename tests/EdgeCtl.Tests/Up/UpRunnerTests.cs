using System.Net;
using System.Net.Sockets;
using EdgeCtl.Up;

namespace EdgeCtl.Tests.Up;

[Trait("Category", "Integration")]
public sealed class UpRunnerTests
{
    private static UpOptions Options(string state, int mqttPort, string env = "e2e.env") => new()
    {
        Manifest = Path.Combine(AppContext.BaseDirectory, "TestData", "e2e.template.json"),
        EnvFile = Path.Combine(AppContext.BaseDirectory, "TestData", env),
        ModulesRoot = Path.Combine(EdgeCtlProcess.RepositoryRoot(), "tests", "modules"),
        State = state,
        MqttPort = mqttPort,
        TlsPort = 0,
        HttpPort = 0,
        Azurite = false,
        Plant = false,
        Duration = TimeSpan.FromSeconds(1),
    };

    [Fact]
    public async Task Up_WhenTheHubPortIsTaken_SaysWhichPortAndStartsNothing()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        int port = ((IPEndPoint)taken.LocalEndpoint).Port;
        string state = Path.Combine(Path.GetTempPath(), "edgectl-port-" + Guid.NewGuid().ToString("N"));
        using var output = new StringWriter();
        using var error = new StringWriter();

        int code = await UpRunner.RunAsync(Options(state, port), output, error, CancellationToken.None);

        Assert.Equal(1, code);
        Assert.Contains($"port {port} for the hub's MQTT (--mqtt-port) is already in use", error.ToString(), StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(state, "build")), "nothing was built or started");
        Directory.Delete(state, recursive: true);
    }

    [Fact]
    public async Task Up_WithAMissingEnvVariable_PrintsTheProblemWithItsJsonPathAndStartsNothing()
    {
        string env = Path.Combine(Path.GetTempPath(), "edgectl-env-" + Guid.NewGuid().ToString("N") + ".env");
        await File.WriteAllTextAsync(env, "SENDER_RESTART_POLICY=always\n");
        string state = Path.Combine(Path.GetTempPath(), "edgectl-env-" + Guid.NewGuid().ToString("N"));
        using var output = new StringWriter();
        using var error = new StringWriter();

        int code = await UpRunner.RunAsync(Options(state, 0, env), output, error, CancellationToken.None);

        Assert.Equal(1, code);
        Assert.Contains("TestSender.env.SENDER_EXIT_AT", error.ToString(), StringComparison.Ordinal);
        Assert.Contains("SENDER_EXIT_AT", error.ToString(), StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(state, "hub")), "the hub did not start");
        File.Delete(env);
        Directory.Delete(state, recursive: true);
    }

    [Fact]
    public async Task Up_OnAStateFolderAnotherRunHolds_RefusesWithoutTouchingIt()
    {
        string state = Path.Combine(Path.GetTempPath(), "edgectl-busy-" + Guid.NewGuid().ToString("N"));
        await using (var held = EdgeHub.Storage.MessageStore.Open(new EdgeHub.Storage.MessageStoreOptions { Directory = Path.Combine(state, "hub", "store") }))
        {
            using var output = new StringWriter();
            using var error = new StringWriter();

            int code = await UpRunner.RunAsync(Options(state, 0), output, error, CancellationToken.None);

            Assert.Equal(1, code);
            Assert.Contains("is in use", error.ToString(), StringComparison.Ordinal);
            Assert.False(File.Exists(Path.Combine(state, "pids.json")));
        }

        Directory.Delete(state, recursive: true);
    }
}
