using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using EdgeHub.Hosting;
using EdgeHub.Mqtt;
using EdgeHub.Storage;
using EdgeHub.Twin;
using EdgeHub.Upstream;
using EdgeKit.Client;
using EdgeKit.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using SensorIngest.Hosting;
using SensorIngest.Tests.Polling;

namespace SensorIngest.Tests.Hosting;

/// <summary>The whole module (EdgeKit client, worker, pollers) against the local edgeHub in-process and the plant's Modbus server.</summary>
[Trait("Category", "Integration")]
public sealed class SensorIngestWorkerTests(PlantModbusFixture plant) : IClassFixture<PlantModbusFixture>
{
    private const string HubName = "testhub.azure-devices.net";
    private const string Device = "dev1";
    private const string Module = "SensorIngest";

    [Fact]
    public async Task Module_PublishesTelemetryReportsHealthAndRejectsInvalidPatch()
    {
        string state = Path.Combine(Path.GetTempPath(), "sensoringest-worker-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(state);
        string key = Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData("key-sensoringest"u8));
        var configuration = new HubConfiguration { IotHubHostName = HubName };
        var device = new DeviceConfiguration
        {
            DeviceId = Device,
            Routes = JsonSerializer.SerializeToElement(new Dictionary<string, string> { ["up"] = "FROM /messages/modules/SensorIngest/outputs/telemetry INTO $upstream" }),
        };
        device.Modules.Add(new ModuleConfiguration
        {
            ModuleId = Module,
            PrimaryKey = key,
            Desired = JsonNode.Parse($$"""{"slaves":[{"name":"t1","endpoint":"127.0.0.1:{{plant.Port}}","pollingInterval":200,"points":[{"signal":"t1.speed","function":4,"address":20,"type":"float32","unit":"rpm"}]}]}""")!.AsObject(),
        });
        configuration.Devices.Add(device);
        IMessageStore store = MessageStore.Open(new MessageStoreOptions { Directory = Path.Combine(state, "store") });
        var server = new EdgeHubServer(new HubServerOptions { MqttPort = 0, StateDirectory = state }, configuration, store, NullLoggerFactory.Instance);
        await server.StartAsync(CancellationToken.None);
        IHost? host = null;
        try
        {
            ModuleClient client = ModuleClient.CreateFromConnectionString(
                $"HostName={HubName};DeviceId={Device};ModuleId={Module};SharedAccessKey={key};GatewayHostName=127.0.0.1",
                new ModuleClientOptions { UseTls = false, Port = server.MqttPort });
            HostApplicationBuilder builder = Host.CreateApplicationBuilder();
            builder.Configuration["EdgeKit:MetricsPort"] = "0";
            builder.AddEdgeModule(_ => client);
            builder.AddSensorIngest();
            host = builder.Build();
            await host.StartAsync();

            IReadOnlyList<UpstreamEvent> events = await server.Upstream.ReadAsync(0, 3, new CancellationTokenSource(TimeSpan.FromSeconds(20)).Token);
            UpstreamEvent first = events[0];
            Assert.Equal("telemetry/1", first.Properties["schema"]);
            Assert.Equal("modbus://t1", first.Properties["source"]);
            Assert.Equal("application/json", first.SystemProperties["content-type"]);
            JsonObject body = JsonNode.Parse(Encoding.UTF8.GetString(first.Body))!.AsObject();
            JsonObject point = body["points"]![0]!.AsObject();
            Assert.Equal(("t1.speed", "good", "rpm"), ((string?)point["signal"], (string?)point["quality"], (string?)point["unit"]));
            Assert.InRange((double)point["value"]!, 2500, 3500);

            await WaitForReportedAsync(server, r => r["slaves"]?["t1"]?["connected"]?.GetValue<bool>() == true && (string?)r["configuration"]?["schema"] == "native");

            server.Twins.PatchDesired(Device, Module, JsonNode.Parse("""{"slaves":[{"name":"t2","endpoint":"127.0.0.1:0","points":[]}]}""")!.AsObject());
            JsonObject reported = await WaitForReportedAsync(server, r => r["configurationError"] is JsonArray);
            Assert.Equal(2, reported["configurationError"]!.AsArray().Count);
            Assert.NotNull(reported["slaves"]?["t1"]); // the running configuration stays
            long before = server.Upstream.LastSequenceNumber;
            await server.Upstream.ReadAsync(before + 2, 1, new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token);
        }
        finally
        {
            if (host is not null)
            {
                await host.StopAsync();
                host.Dispose();
            }

            await server.DisposeAsync();
            await store.DisposeAsync();
            try
            {
                Directory.Delete(state, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static async Task<JsonObject> WaitForReportedAsync(EdgeHubServer server, Func<JsonObject, bool> condition)
    {
        DateTime end = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (DateTime.UtcNow < end)
        {
            if (server.Twins.TryGet(Device, Module, out EdgeHub.Twin.ModuleTwin twin) && condition(twin.Reported))
            {
                return twin.Reported;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException("reported properties did not reach the expected state");
    }
}
