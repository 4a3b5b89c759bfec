using System.Buffers;
using System.Text;
using System.Text.Json.Nodes;
using EdgeHub.Tests.Support;
using MQTTnet;
using MQTTnet.Protocol;

namespace EdgeHub.Tests.Mqtt;

[Trait("Category", "Integration")]
public sealed class EdgeHubServerTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Connect_WithValidModuleToken_IsAccepted()
    {
        await using var hub = await HubTestHost.StartAsync();
        await using var module = await hub.ConnectAsync("sender");
        Assert.True(module.Client.IsConnected);
        Assert.Contains("dev1/sender", hub.Server.ConnectedClientIds);
    }

    [Theory]
    [InlineData("wrong-key")]
    [InlineData("expired")]
    [InlineData("other-module-audience")]
    [InlineData("not-a-token")]
    [InlineData("unknown-client")]
    [InlineData("wrong-user")]
    public async Task Connect_WithBadCredentials_IsRefused(string kind)
    {
        await using var hub = await HubTestHost.StartAsync();
        string otherKey = Convert.ToBase64String(new byte[32]);
        var options = kind switch
        {
            "wrong-key" => RawModule.Options(hub.Port, "sender", HubTestHost.Token("sender", key: otherKey)),
            "expired" => RawModule.Options(hub.Port, "sender", HubTestHost.Token("sender", DateTimeOffset.UtcNow.AddMinutes(-1))),
            "other-module-audience" => RawModule.Options(hub.Port, "sender", HubTestHost.Token("receiver", key: HubTestHost.Key("sender"))),
            "not-a-token" => RawModule.Options(hub.Port, "sender", "hunter2"),
            "unknown-client" => RawModule.Options(hub.Port, "ghost", HubTestHost.Token("ghost")),
            _ => RawModule.Options(hub.Port, "sender", user: "otherhub/dev1/sender/?api-version=2020-09-30"),
        };
        using var client = new MqttClientFactory().CreateMqttClient();
        var expected = kind == "unknown-client" ? MqttClientConnectResultCode.ClientIdentifierNotValid
            : kind == "other-module-audience" ? MqttClientConnectResultCode.NotAuthorized
            : MqttClientConnectResultCode.BadUserNameOrPassword;
        // MQTTnet 5 returns the refused CONNACK instead of throwing.
        var result = await client.ConnectAsync(options);
        Assert.Equal(expected, result.ResultCode);
        Assert.False(client.IsConnected);
        Assert.Empty(hub.Server.ConnectedClientIds);
    }

    [Fact]
    public async Task Event_MatchingRouteCondition_ReachesTheTargetInputWithProperties()
    {
        await using var hub = await HubTestHost.StartAsync();
        await using var receiver = await hub.ConnectAsync("receiver");
        await using var sender = await hub.ConnectAsync("sender");

        var result = await sender.SendEventAsync("out1", "{\"temperature\":70}", "&$.mid=m-1&sensor=a%2Fb");
        Assert.True(result.IsSuccess);

        var message = receiver.Next("devices/dev1/modules/receiver/inputs/in1/", Wait);
        Assert.NotNull(message);
        Assert.Equal("{\"temperature\":70}", Encoding.UTF8.GetString(message.Payload));
        foreach (string expected in new[] { "sensor=a%2Fb", "%24.mid=m-1", "%24.cdid=dev1", "%24.cmid=sender", "%24.on=out1", "%24.ct=application%2Fjson" })
        {
            Assert.True(message.Topic.Contains(expected, StringComparison.Ordinal), $"'{expected}' missing in {message.Topic}");
        }
    }

    [Fact]
    public async Task Event_NotMatchingRouteCondition_IsNotDeliveredToTheInput()
    {
        await using var hub = await HubTestHost.StartAsync();
        await using var receiver = await hub.ConnectAsync("receiver");
        await using var sender = await hub.ConnectAsync("sender");

        await sender.SendEventAsync("out1", "{\"temperature\":20}");
        await sender.SendEventAsync("out1", "{\"temperature\":90}");

        var message = receiver.Next("devices/dev1/modules/receiver/inputs/in1/", Wait);
        Assert.NotNull(message);
        Assert.Equal("{\"temperature\":90}", Encoding.UTF8.GetString(message.Payload));
    }

    [Fact]
    public async Task Event_RoutedUpstream_AppearsInTheLocalEventStreamWithIotHubProperties()
    {
        await using var hub = await HubTestHost.StartAsync();
        await using var sender = await hub.ConnectAsync("sender");
        await sender.SendEventAsync("out1", "{\"temperature\":1}", "&kind=test");

        using var cts = new CancellationTokenSource(Wait);
        var events = await hub.Server.Upstream.ReadAsync(0, 10, cts.Token);
        var ev = Assert.Single(events);
        Assert.Equal("{\"temperature\":1}", Encoding.UTF8.GetString(ev.Body));
        Assert.Equal("dev1", ev.SystemProperties["iothub-connection-device-id"]);
        Assert.Equal("sender", ev.SystemProperties["iothub-connection-module-id"]);
        Assert.Equal("test", ev.Properties["kind"]);
    }

    [Fact]
    public async Task Messages_ForAnOfflineModule_AreStoredAndDeliveredInOrderWhenItConnects()
    {
        await using var hub = await HubTestHost.StartAsync();
        await using (var sender = await hub.ConnectAsync("sender"))
        {
            for (int i = 0; i < 200; i++)
            {
                await sender.SendEventAsync("out1", $"{{\"temperature\":100,\"seq\":{i}}}");
            }
        }

        await using var receiver = await hub.ConnectAsync("receiver");
        for (int i = 0; i < 200; i++)
        {
            var message = receiver.Next("devices/dev1/modules/receiver/inputs/in1/", Wait);
            Assert.NotNull(message);
            var body = JsonNode.Parse(message.Payload.ToArray())!;
            Assert.Equal(i, body["seq"]!.GetValue<int>());
        }
    }

    [Fact]
    public async Task TwinGet_ReturnsDesiredFromTheDeploymentWithVersions()
    {
        await using var hub = await HubTestHost.StartAsync();
        await using var receiver = await hub.ConnectAsync("receiver");
        await receiver.PublishAsync("$iothub/twin/GET/?$rid=7", [], MqttQualityOfServiceLevel.AtMostOnce);

        var response = receiver.Next("$iothub/twin/res/", Wait);
        Assert.NotNull(response);
        Assert.Equal("$iothub/twin/res/200/?$rid=7", response.Topic);
        var twin = JsonNode.Parse(response.Payload.ToArray())!;
        Assert.Equal(5, twin["desired"]!["threshold"]!.GetValue<int>());
        Assert.NotNull(twin["desired"]!["$version"]);
        Assert.NotNull(twin["reported"]!["$version"]);
    }

    [Fact]
    public async Task ReportedPatch_IsMergedAndAnsweredWith204AndNewVersion()
    {
        await using var hub = await HubTestHost.StartAsync();
        await using var receiver = await hub.ConnectAsync("receiver");
        await receiver.PublishAsync("$iothub/twin/PATCH/properties/reported/?$rid=9", Encoding.UTF8.GetBytes("{\"status\":\"running\",\"nested\":{\"a\":1}}"));

        var response = receiver.Next("$iothub/twin/res/", Wait);
        Assert.NotNull(response);
        Assert.StartsWith("$iothub/twin/res/204/?$rid=9&$version=", response.Topic, StringComparison.Ordinal);
        Assert.True(hub.Server.Twins.TryGet("dev1", "receiver", out var twin));
        Assert.Equal("running", twin.Reported["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task ReportedPatch_ThatIsNotAJsonObject_IsAnswered400AndTheConnectionStays()
    {
        await using var hub = await HubTestHost.StartAsync();
        await using var receiver = await hub.ConnectAsync("receiver");
        await receiver.PublishAsync("$iothub/twin/PATCH/properties/reported/?$rid=3", Encoding.UTF8.GetBytes("[1,2"));

        var response = receiver.Next("$iothub/twin/res/", Wait);
        Assert.NotNull(response);
        Assert.Equal("$iothub/twin/res/400/?$rid=3", response.Topic);
        Assert.True(receiver.Client.IsConnected);
    }

    [Fact]
    public async Task DesiredPatch_FromTheHub_IsPushedToTheConnectedModule()
    {
        await using var hub = await HubTestHost.StartAsync();
        await using var receiver = await hub.ConnectAsync("receiver");
        long version = hub.Server.Twins.PatchDesired("dev1", "receiver", new JsonObject { ["threshold"] = 9 });

        var patch = receiver.Next("$iothub/twin/PATCH/properties/desired/", Wait);
        Assert.NotNull(patch);
        Assert.Equal($"$iothub/twin/PATCH/properties/desired/?$version={version}", patch.Topic);
        var body = JsonNode.Parse(patch.Payload.ToArray())!;
        Assert.Equal(9, body["threshold"]!.GetValue<int>());
        Assert.Equal(version, body["$version"]!.GetValue<long>());
    }

    [Fact]
    public async Task DirectMethod_IsInvokedAndTheModulesAnswerReturned()
    {
        await using var hub = await HubTestHost.StartAsync();
        await using var receiver = await hub.ConnectAsync("receiver");
        receiver.Client.ApplicationMessageReceivedAsync += async e =>
        {
            if (e.ApplicationMessage.Topic.StartsWith("$iothub/methods/POST/reset/", StringComparison.Ordinal))
            {
                string rid = e.ApplicationMessage.Topic[(e.ApplicationMessage.Topic.IndexOf("$rid=", StringComparison.Ordinal) + 5)..];
                var request = JsonNode.Parse(e.ApplicationMessage.Payload.ToArray())!;
                await receiver.PublishAsync($"$iothub/methods/res/200/?$rid={rid}", Encoding.UTF8.GetBytes($"{{\"echo\":{request["n"]!.GetValue<int>()}}}"));
            }
        };

        var result = await hub.Server.InvokeMethodAsync("dev1", "receiver", "reset", new JsonObject { ["n"] = 4 }, Wait, CancellationToken.None);
        Assert.Equal(200, result.Status);
        Assert.Equal(4, result.Payload!["echo"]!.GetValue<int>());
    }

    [Fact]
    public async Task DirectMethod_ToAnOfflineModule_Returns404AndToASilentModule504()
    {
        await using var hub = await HubTestHost.StartAsync();
        var offline = await hub.Server.InvokeMethodAsync("dev1", "receiver", "reset", null, TimeSpan.FromSeconds(1), CancellationToken.None);
        Assert.Equal(404, offline.Status);
        Assert.Equal(404103, offline.Payload!["errorCode"]!.GetValue<int>());

        await using var receiver = await hub.ConnectAsync("receiver");
        var silent = await hub.Server.InvokeMethodAsync("dev1", "receiver", "reset", null, TimeSpan.FromMilliseconds(500), CancellationToken.None);
        Assert.Equal(504, silent.Status);
    }

    [Fact]
    public async Task OversizedMessage_IsRejectedAndTheHubKeepsServing()
    {
        await using var hub = await HubTestHost.StartAsync();
        await using var receiver = await hub.ConnectAsync("receiver");
        await using var sender = await hub.ConnectAsync("sender");
        string big = "{\"temperature\":99,\"pad\":\"" + new string('x', 300 * 1024) + "\"}";
        await sender.SendEventAsync("out1", big);
        await sender.SendEventAsync("out1", "{\"temperature\":98}");

        var message = receiver.Next("devices/dev1/modules/receiver/inputs/in1/", Wait);
        Assert.NotNull(message);
        Assert.Equal("{\"temperature\":98}", Encoding.UTF8.GetString(message.Payload));
    }

    [Fact]
    public async Task Publish_OnAnotherModulesTopicOrAnUnknownTopic_IsDroppedAndNothingIsRouted()
    {
        await using var hub = await HubTestHost.StartAsync();
        await using var receiver = await hub.ConnectAsync("receiver");
        await using var sender = await hub.ConnectAsync("sender");
        await sender.PublishAsync("devices/dev1/modules/receiver/messages/events/$.on=out1", Encoding.UTF8.GetBytes("{\"temperature\":99}"));
        await sender.PublishAsync("some/random/topic", Encoding.UTF8.GetBytes("{}"));
        await sender.PublishAsync("devices/dev1/modules/sender/messages/events/%zz=1&$.on=out1", Encoding.UTF8.GetBytes("{\"temperature\":99}"));
        await sender.SendEventAsync("out1", "{\"temperature\":97}");

        var message = receiver.Next("devices/dev1/modules/receiver/inputs/in1/", Wait);
        Assert.NotNull(message);
        Assert.Equal("{\"temperature\":97}", Encoding.UTF8.GetString(message.Payload));
        Assert.True(sender.Client.IsConnected);
    }

    [Fact]
    public async Task Subscription_ToAnotherModulesInputs_IsRefused()
    {
        await using var hub = await HubTestHost.StartAsync();
        await using var sender = await hub.ConnectAsync("sender");
        var result = await sender.Client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder()
            .WithTopicFilter("devices/dev1/modules/receiver/#", MqttQualityOfServiceLevel.AtLeastOnce).Build());
        Assert.Equal(MqttClientSubscribeResultCode.UnspecifiedError, Assert.Single(result.Items).ResultCode);
    }

    [Fact]
    public async Task Connection_WhoseTokenExpires_IsClosedByTheHub()
    {
        await using var hub = await HubTestHost.StartAsync();
        using var client = new MqttClientFactory().CreateMqttClient();
        var disconnected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        client.DisconnectedAsync += _ =>
        {
            disconnected.TrySetResult();
            return Task.CompletedTask;
        };
        var result = await client.ConnectAsync(RawModule.Options(hub.Port, "sender", HubTestHost.Token("sender", DateTimeOffset.UtcNow.AddSeconds(2))));
        Assert.Equal(MqttClientConnectResultCode.Success, result.ResultCode);

        await disconnected.Task.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.False(client.IsConnected);
    }
}
