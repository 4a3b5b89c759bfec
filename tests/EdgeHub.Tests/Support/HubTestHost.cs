using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using EdgeHub.Hosting;
using EdgeHub.Mqtt;
using EdgeHub.Storage;
using EdgeKit.Auth;
using Microsoft.Extensions.Logging.Abstractions;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace EdgeHub.Tests.Support;

/// <summary>An in-process local edgeHub on a free loopback port with a temporary state folder.</summary>
public sealed class HubTestHost : IAsyncDisposable
{
    public const string HubName = "testhub.azure-devices.net";
    public const string DeviceId = "dev1";

    private HubTestHost(string state, EdgeHubServer server, IMessageStore store, HubConfiguration configuration)
    {
        State = state;
        Server = server;
        Store = store;
        Configuration = configuration;
    }

    public string State { get; }

    public EdgeHubServer Server { get; }

    public IMessageStore Store { get; }

    public HubConfiguration Configuration { get; }

    public int Port => Server.MqttPort;

    /// <summary>Default routes: sender/out1 to receiver/in1 when temperature > 50, everything from sender to $upstream.</summary>
    public static JsonObject DefaultRoutes() => new()
    {
        ["toReceiver"] = "FROM /messages/modules/sender/outputs/out1 WHERE $body.temperature > 50 INTO BrokeredEndpoint(\"/modules/receiver/inputs/in1\")",
        ["toCloud"] = new JsonObject { ["route"] = "FROM /messages/modules/sender/* INTO $upstream", ["priority"] = 1, ["timeToLiveSecs"] = 3600 },
    };

    public static async Task<HubTestHost> StartAsync(JsonObject? routes = null, string? state = null, JsonObject? receiverDesired = null)
    {
        state ??= Path.Combine(Path.GetTempPath(), "edgehub-test-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(state);
        var configuration = new HubConfiguration { IotHubHostName = HubName };
        var device = new DeviceConfiguration
        {
            DeviceId = DeviceId,
            Routes = JsonSerializer.SerializeToElement(routes ?? DefaultRoutes(), HubJsonContextForTests.Default.JsonObject),
        };
        device.Modules.Add(new ModuleConfiguration { ModuleId = "sender", PrimaryKey = Key("sender") });
        device.Modules.Add(new ModuleConfiguration { ModuleId = "receiver", PrimaryKey = Key("receiver"), Desired = receiverDesired ?? new JsonObject { ["threshold"] = 5 } });
        configuration.Devices.Add(device);
        var store = MessageStore.Open(new MessageStoreOptions { Directory = Path.Combine(state, "store") });
        var server = new EdgeHubServer(new HubServerOptions { MqttPort = 0, StateDirectory = state }, configuration, store, NullLoggerFactory.Instance);
        await server.StartAsync(CancellationToken.None);
        return new HubTestHost(state, server, store, configuration);
    }

    /// <summary>A deterministic 32-byte key per module so that tests can sign tokens.</summary>
    public static string Key(string moduleId) => Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes("key-" + moduleId)));

    public static string Token(string moduleId, DateTimeOffset? expires = null, string? key = null) =>
        SharedAccessSignature.Create($"{HubName}/devices/{DeviceId}/modules/{moduleId}", Convert.FromBase64String(key ?? Key(moduleId)), expires ?? DateTimeOffset.UtcNow.AddHours(1));

    public Task<RawModule> ConnectAsync(string moduleId, bool subscribeInputs = true) => RawModule.ConnectAsync(Port, moduleId, subscribeInputs);

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        await Store.DisposeAsync();
        try
        {
            Directory.Delete(State, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>A module speaking the wire protocol with a plain MQTTnet client, so tests see exact topics.</summary>
public sealed class RawModule : IAsyncDisposable
{
    private readonly IMqttClient _client;

    private RawModule(IMqttClient client, string moduleId)
    {
        _client = client;
        ModuleId = moduleId;
        _client.ApplicationMessageReceivedAsync += e =>
        {
            Received.Add(e.ApplicationMessage);
            return Task.CompletedTask;
        };
    }

    public string ModuleId { get; }

    public BlockingCollection<MqttApplicationMessage> Received { get; } = [];

    public IMqttClient Client => _client;

    public static MqttClientOptions Options(int port, string moduleId, string? password = null, string? clientId = null, string? user = null) =>
        new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", port)
            .WithProtocolVersion(MqttProtocolVersion.V311)
            .WithClientId(clientId ?? $"{HubTestHost.DeviceId}/{moduleId}")
            .WithCredentials(user ?? $"{HubTestHost.HubName}/{HubTestHost.DeviceId}/{moduleId}/?api-version=2020-09-30&DeviceClientType=test", password ?? HubTestHost.Token(moduleId))
            .WithCleanSession(false)
            .WithTimeout(TimeSpan.FromSeconds(10))
            .Build();

    public static async Task<RawModule> ConnectAsync(int port, string moduleId, bool subscribeInputs)
    {
        var client = new MqttClientFactory().CreateMqttClient();
        var module = new RawModule(client, moduleId);
        await client.ConnectAsync(Options(port, moduleId));
        var subscribe = new MqttClientSubscribeOptionsBuilder()
            .WithTopicFilter("$iothub/twin/res/#", MqttQualityOfServiceLevel.AtMostOnce)
            .WithTopicFilter("$iothub/twin/PATCH/properties/desired/#", MqttQualityOfServiceLevel.AtLeastOnce)
            .WithTopicFilter("$iothub/methods/POST/#", MqttQualityOfServiceLevel.AtMostOnce);
        if (subscribeInputs)
        {
            subscribe.WithTopicFilter($"devices/{HubTestHost.DeviceId}/modules/{moduleId}/#", MqttQualityOfServiceLevel.AtLeastOnce);
        }

        await client.SubscribeAsync(subscribe.Build());
        return module;
    }

    public Task<MqttClientPublishResult> SendEventAsync(string output, string json, string extraProperties = "") =>
        _client.PublishAsync(new MqttApplicationMessageBuilder()
            .WithTopic($"devices/{HubTestHost.DeviceId}/modules/{ModuleId}/messages/events/$.on={output}&$.ct=application%2Fjson&$.ce=utf-8{extraProperties}")
            .WithPayload(json)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .Build());

    public Task PublishAsync(string topic, byte[] payload, MqttQualityOfServiceLevel qos = MqttQualityOfServiceLevel.AtLeastOnce) =>
        _client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload).WithQualityOfServiceLevel(qos).Build());

    /// <summary>Waits for the next received message whose topic starts with <paramref name="prefix"/>.</summary>
    public MqttApplicationMessage? Next(string prefix, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || !Received.TryTake(out var message, left))
            {
                return null;
            }

            if (message.Topic.StartsWith(prefix, StringComparison.Ordinal))
            {
                return message;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_client.IsConnected)
        {
            await _client.DisconnectAsync();
        }

        _client.Dispose();
        Received.Dispose();
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(JsonObject))]
internal sealed partial class HubJsonContextForTests : System.Text.Json.Serialization.JsonSerializerContext;
