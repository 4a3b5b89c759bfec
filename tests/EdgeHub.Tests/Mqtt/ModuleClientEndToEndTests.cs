using System.Text;
using System.Text.Json.Nodes;
using EdgeHub.Tests.Support;
using EdgeKit;
using EdgeKit.Client;

namespace EdgeHub.Tests.Mqtt;

/// <summary>
/// Our ModuleClient (modules/EdgeKit) against the local hub process exactly as a module runs under IoT Edge:
/// IOTEDGE_* variables, SAS tokens signed by the workload API, MQTT over TLS validated with the trust bundle.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ModuleClientEndToEndTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task ModulesUnderTheEdgeEnvironment_ExchangeMessagesTwinsAndMethodsThroughTheHub()
    {
        await using var hub = new HubProcess(HubTestHost.DefaultRoutes());
        await hub.StartAsync();
        using var http = new HttpClient();
        var status = JsonNode.Parse(await http.GetStringAsync(new Uri($"http://127.0.0.1:{hub.HttpPort}/status")))!;
        int tlsPort = status["mqttTlsPort"]!.GetValue<int>();

        await using var receiver = Create(hub, tlsPort, "receiver");
        await using var sender = Create(hub, tlsPort, "sender");

        var received = new TaskCompletionSource<Message>(TaskCreationOptions.RunContinuationsAsynchronously);
        await receiver.SetInputMessageHandlerAsync("in1", (message, _) =>
        {
            received.TrySetResult(message);
            return Task.FromResult(MessageResponse.Completed);
        }, CancellationToken.None);
        var desired = new TaskCompletionSource<JsonObject>(TaskCreationOptions.RunContinuationsAsynchronously);
        await receiver.SetDesiredPropertyUpdateCallbackAsync((patch, _) =>
        {
            desired.TrySetResult(patch);
            return Task.CompletedTask;
        }, CancellationToken.None);
        await receiver.SetMethodHandlerAsync("double", (request, _) =>
        {
            int n = JsonNode.Parse(request.Data.Span)!["n"]!.GetValue<int>();
            return Task.FromResult(new MethodResponse(200, Encoding.UTF8.GetBytes($"{{\"result\":{n * 2}}}")));
        }, CancellationToken.None);
        await receiver.OpenAsync(CancellationToken.None);
        await sender.OpenAsync(CancellationToken.None);

        // Message through the route (WHERE $body.temperature > 50) with its properties.
        var outgoing = new Message(Encoding.UTF8.GetBytes("{\"temperature\":75}")) { ContentType = "application/json", ContentEncoding = "utf-8", MessageId = "msg-1" };
        outgoing.Properties["line"] = "pump 1";
        await sender.SendEventAsync("out1", outgoing, CancellationToken.None);
        var incoming = await received.Task.WaitAsync(Wait);
        Assert.Equal("{\"temperature\":75}", Encoding.UTF8.GetString(incoming.Body.Span));
        Assert.Equal("pump 1", incoming.Properties["line"]);
        Assert.Equal("msg-1", incoming.MessageId);
        Assert.Equal("sender", incoming.ConnectionModuleId);

        // Twin: desired from the deployment, reported round trip, desired patch through the service API.
        var twin = await receiver.GetTwinAsync(CancellationToken.None);
        Assert.Equal(5, twin.Desired["threshold"]!.GetValue<int>());
        long? version = await receiver.UpdateReportedPropertiesAsync(new JsonObject { ["state"] = "ok" }, CancellationToken.None);
        Assert.NotNull(version);
        var hubSide = new HubServiceClient(hub);
        await hubSide.PatchDesiredAsync("receiver", new JsonObject { ["threshold"] = 8 });
        var patch = await desired.Task.WaitAsync(Wait);
        Assert.Equal(8, patch["threshold"]!.GetValue<int>());
        var reported = await hubSide.GetTwinAsync("receiver");
        Assert.Equal("ok", reported["properties"]!["reported"]!["state"]!.GetValue<string>());

        // Direct method through the service API.
        var answer = await hubSide.InvokeAsync("receiver", "double", new JsonObject { ["n"] = 21 });
        Assert.Equal(200, answer["status"]!.GetValue<int>());
        Assert.Equal(42, answer["payload"]!["result"]!.GetValue<int>());
    }

    private static ModuleClient Create(HubProcess hub, int tlsPort, string moduleId)
    {
        var variables = new Dictionary<string, string>
        {
            ["IOTEDGE_WORKLOADURI"] = $"http://127.0.0.1:{hub.HttpPort}/workload/{HubTestHost.DeviceId}/",
            ["IOTEDGE_DEVICEID"] = HubTestHost.DeviceId,
            ["IOTEDGE_MODULEID"] = moduleId,
            ["IOTEDGE_IOTHUBHOSTNAME"] = HubTestHost.HubName,
            ["IOTEDGE_GATEWAYHOSTNAME"] = "localhost",
            ["IOTEDGE_MODULEGENERATIONID"] = "1",
            ["IOTEDGE_AUTHSCHEME"] = "sasToken",
            ["IOTEDGE_APIVERSION"] = "2018-06-28",
        };
        return ModuleClient.CreateFromEnvironment(name => variables.GetValueOrDefault(name), new ModuleClientOptions { UseTls = true, Port = tlsPort }, null, null);
    }
}
