using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using EdgeHub.Tests.Support;
using EdgeKit.Auth;
using MQTTnet;
using MQTTnet.Formatter;

namespace EdgeHub.Tests.Api;

/// <summary>The hub process's HTTP side: service REST subset, workload API, trust bundle with TLS, metrics.</summary>
[Trait("Category", "Integration")]
#pragma warning disable CA1001 // xunit disposes through IAsyncLifetime.DisposeAsync
public sealed class HubApiTests : IAsyncLifetime
{
    private readonly HubProcess _hub = new(HubTestHost.DefaultRoutes());
    private readonly HttpClient _http = new();

    public async Task InitializeAsync()
    {
        await _hub.StartAsync();
        _http.BaseAddress = new Uri($"http://127.0.0.1:{_hub.HttpPort}/");
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _hub.DisposeAsync();
    }

    [Fact]
    public async Task TwinPatch_WithoutServiceToken_Is401_WithToken_UpdatesAndPushesToTheModule()
    {
        await using var receiver = await RawModule.ConnectAsync(_hub.MqttPort, "receiver", subscribeInputs: true);
        using var unauthorized = new HttpRequestMessage(HttpMethod.Patch, "twins/dev1/modules/receiver") { Content = new StringContent("{\"properties\":{\"desired\":{\"x\":1}}}") };
        Assert.Equal(HttpStatusCode.Unauthorized, (await _http.SendAsync(unauthorized)).StatusCode);

        using var request = new HttpRequestMessage(HttpMethod.Patch, "twins/dev1/modules/receiver") { Content = new StringContent("{\"properties\":{\"desired\":{\"x\":1}}}") };
        request.Headers.TryAddWithoutValidation("Authorization", ServiceToken());
        var response = await _http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var twin = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(1, twin["properties"]!["desired"]!["x"]!.GetValue<int>());

        var patch = receiver.Next("$iothub/twin/PATCH/properties/desired/", TimeSpan.FromSeconds(10));
        Assert.NotNull(patch);
        Assert.Equal(1, JsonNode.Parse(patch.Payload.FirstSpan)!["x"]!.GetValue<int>());
    }

    [Fact]
    public async Task TwinPatch_WithBodyThatIsNotATwinPatch_Is400()
    {
        using var request = new HttpRequestMessage(HttpMethod.Patch, "twins/dev1/modules/receiver") { Content = new StringContent("[1,2,3]") };
        request.Headers.TryAddWithoutValidation("Authorization", ServiceToken());
        Assert.Equal(HttpStatusCode.BadRequest, (await _http.SendAsync(request)).StatusCode);
    }

    [Fact]
    public async Task MethodInvocation_OverRest_ReturnsTheModulesAnswer()
    {
        await using var receiver = await RawModule.ConnectAsync(_hub.MqttPort, "receiver", subscribeInputs: true);
        receiver.Client.ApplicationMessageReceivedAsync += async e =>
        {
            if (e.ApplicationMessage.Topic.StartsWith("$iothub/methods/POST/ping/", StringComparison.Ordinal))
            {
                string rid = e.ApplicationMessage.Topic[(e.ApplicationMessage.Topic.IndexOf("$rid=", StringComparison.Ordinal) + 5)..];
                await receiver.PublishAsync($"$iothub/methods/res/201/?$rid={rid}", "{\"pong\":true}"u8.ToArray());
            }
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, "twins/dev1/modules/receiver/methods")
        {
            Content = new StringContent("{\"methodName\":\"ping\",\"payload\":{},\"responseTimeoutInSeconds\":10}"),
        };
        request.Headers.TryAddWithoutValidation("Authorization", ServiceToken());
        var response = await _http.SendAsync(request);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(201, body["status"]!.GetValue<int>());
        Assert.True(body["payload"]!["pong"]!.GetValue<bool>());
    }

    [Fact]
    public async Task WorkloadSign_ReturnsTheHmacOfTheModuleKey()
    {
        byte[] data = Encoding.UTF8.GetBytes("testhub.azure-devices.net%2Fdevices%2Fdev1%2Fmodules%2Fsender\n1900000000");
        var response = await _http.PostAsync(new Uri("workload/dev1/modules/sender/genid/1/sign?api-version=2018-06-28", UriKind.Relative),
            new StringContent($"{{\"keyId\":\"primary\",\"algo\":\"HMACSHA256\",\"data\":\"{Convert.ToBase64String(data)}\"}}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var digest = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["digest"]!.GetValue<string>();
        Assert.Equal(Convert.ToBase64String(HMACSHA256.HashData(Convert.FromBase64String(HubTestHost.Key("sender")), data)), digest);

        var unknown = await _http.PostAsync(new Uri("workload/dev1/modules/ghost/genid/1/sign", UriKind.Relative), new StringContent("{}"));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task TrustBundle_ValidatesTheHubsTlsEndpoint()
    {
        var bundle = JsonNode.Parse(await _http.GetStringAsync(new Uri("workload/dev1/trust-bundle", UriKind.Relative)))!["certificate"]!.GetValue<string>();
        using var ca = X509Certificate2.CreateFromPem(bundle);
        var status = JsonNode.Parse(await _http.GetStringAsync(new Uri("status", UriKind.Relative)))!;
        Assert.Equal(_hub.MqttPort, status["mqttPort"]!.GetValue<int>());
        int tlsPort = status["mqttTlsPort"]!.GetValue<int>();

        using var client = new MqttClientFactory().CreateMqttClient();
        var options = new MqttClientOptionsBuilder()
            .WithTcpServer("localhost", tlsPort)
            .WithProtocolVersion(MqttProtocolVersion.V311)
            .WithClientId("dev1/sender")
            .WithCredentials($"{HubTestHost.HubName}/dev1/sender/?api-version=2020-09-30", HubTestHost.Token("sender"))
            .WithTlsOptions(o => o.UseTls().WithTargetHost("localhost").WithCertificateValidationHandler(args =>
            {
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(ca);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return chain.Build(new X509Certificate2(args.Certificate)) && args.SslPolicyErrors is System.Net.Security.SslPolicyErrors.None or System.Net.Security.SslPolicyErrors.RemoteCertificateChainErrors;
            }))
            .Build();
        var result = await client.ConnectAsync(options);
        Assert.Equal(MqttClientConnectResultCode.Success, result.ResultCode);
    }

    [Fact]
    public async Task Metrics_ArePublishedInPrometheusFormat()
    {
        await using var sender = await RawModule.ConnectAsync(_hub.MqttPort, "sender", subscribeInputs: false);
        await sender.SendEventAsync("out1", "{\"temperature\":1}");
        await sender.PublishAsync("not/a/hub/topic", [1]);
        string text = await _http.GetStringAsync(new Uri("metrics", UriKind.Relative));
        Assert.Contains("edge_hub_messages_received_total", text, StringComparison.Ordinal);
        Assert.Contains("edge_hub_messages_rejected_total{reason=\"unknown_topic\"}", text, StringComparison.Ordinal);
        Assert.Contains("edge_hub_store_appended_total", text, StringComparison.Ordinal);
        Assert.Contains("edge_hub_route_messages_total{device=\"dev1\",route=\"toCloud\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("edge_hub_endpoint_pending{endpoint=\"dev1/modules/receiver/inputs/in1\"}", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TwinQuery_ByTags_ReturnsOnlyMatchingModuleTwins()
    {
        foreach (var (module, site) in new[] { ("receiver", "plant-a"), ("sender", "plant-b") })
        {
            using var patch = new HttpRequestMessage(HttpMethod.Patch, $"twins/dev1/modules/{module}") { Content = new StringContent($"{{\"tags\":{{\"site\":\"{site}\",\"ring\":1}}}}") };
            patch.Headers.TryAddWithoutValidation("Authorization", ServiceToken());
            Assert.Equal(HttpStatusCode.OK, (await _http.SendAsync(patch)).StatusCode);
        }

        var results = await QueryAsync("SELECT * FROM devices.modules WHERE tags.site = 'plant-a' AND tags.ring < 2");
        var only = Assert.Single(results!.AsArray());
        Assert.Equal("receiver", only!["moduleId"]!.GetValue<string>());
        Assert.Equal(2, (await QueryAsync("SELECT * FROM devices.modules"))!.AsArray().Count);
        Assert.Empty((await QueryAsync("SELECT * FROM devices.modules WHERE properties.desired.threshold = 5 AND moduleId = 'sender'"))!.AsArray());
        Assert.Single((await QueryAsync("SELECT * FROM devices.modules WHERE properties.desired.threshold = 5"))!.AsArray());

        using var bad = new HttpRequestMessage(HttpMethod.Post, "devices/query") { Content = new StringContent("{\"query\":\"SELECT * FROM devices WHERE\"}") };
        bad.Headers.TryAddWithoutValidation("Authorization", ServiceToken());
        Assert.Equal(HttpStatusCode.BadRequest, (await _http.SendAsync(bad)).StatusCode);
    }

    private async Task<JsonNode?> QueryAsync(string query)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "devices/query") { Content = new StringContent(new JsonObject { ["query"] = query }.ToJsonString()) };
        request.Headers.TryAddWithoutValidation("Authorization", ServiceToken());
        var response = await _http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync());
    }

    private string ServiceToken()
    {
        var identities = JsonNode.Parse(File.ReadAllText(Path.Combine(_hub.State, "hub", "identities.json")))!;
        byte[] key = Convert.FromBase64String(identities["serviceKey"]!.GetValue<string>());
        return SharedAccessSignature.Create(HubTestHost.HubName, key, DateTimeOffset.UtcNow.AddHours(1), "service");
    }
}
