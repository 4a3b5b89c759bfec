using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using EdgeKit.Client;
using EdgeKit.Protocol;
using TestSupport.Mqtt;
using Xunit.Abstractions;

namespace EdgeKit.Tests.Client;

[Trait("Category", "Integration")]
public class ModuleClientMosquittoTests(MosquittoFixture broker) : IClassFixture<MosquittoFixture>
{
    private const string Key = "c2VjcmV0LWtleS1mb3ItdGVzdHMtMDEyMzQ1Njc4OWFiY2RlZg==";

    internal static ModuleClient CreateClient(string host, int port, string device, string module, ModuleClientOptions? options = null)
    {
        options ??= new ModuleClientOptions();
        options.UseTls = false;
        options.Port = port;
        options.OperationTimeout = TimeSpan.FromSeconds(10);
        return ModuleClient.CreateFromConnectionString(
            $"HostName=hub.local;DeviceId={device};ModuleId={module};SharedAccessKey={Key};GatewayHostName={host}", options);
    }

    [Fact]
    public async Task SendEventAsync_PublishesToExactEventTopicWithProperties()
    {
        await using var peer = new MqttPeer("verifier-topic");
        await peer.ConnectAsync(broker.Host, broker.Port, true, "devices/d1/modules/sender/#");
        await using ModuleClient client = CreateClient(broker.Host, broker.Port, "d1", "sender");
        await client.OpenAsync(CancellationToken.None);

        var message = new Message("{\"v\":1}"u8.ToArray())
        {
            MessageId = "mid-1",
            CorrelationId = "c 1",
            ContentType = "application/json",
            ContentEncoding = "utf-8",
        };
        message.Properties["schema"] = "telemetry/1";
        message.Properties["source"] = "modbus://pump1";
        await client.SendEventAsync("telemetry", message, CancellationToken.None);

        await peer.WaitForAsync(() => !peer.Messages.IsEmpty, TimeSpan.FromSeconds(5));
        Assert.True(peer.Messages.TryDequeue(out MqttPeer.Received? received));
        Assert.Equal(
            "devices/d1/modules/sender/messages/events/%24.mid=mid-1&%24.cid=c%201&%24.ct=application%2Fjson&%24.ce=utf-8&%24.on=telemetry&schema=telemetry%2F1&source=modbus%3A%2F%2Fpump1/",
            received.Topic);
        Assert.Equal("{\"v\":1}", Encoding.UTF8.GetString(received.Payload));
    }

    [Fact]
    public async Task InputHandler_ReceivesMessagePublishedOnInputTopic()
    {
        await using ModuleClient client = CreateClient(broker.Host, broker.Port, "d1", "receiver");
        var received = new TaskCompletionSource<Message>(TaskCreationOptions.RunContinuationsAsynchronously);
        var other = new TaskCompletionSource<Message>(TaskCreationOptions.RunContinuationsAsynchronously);
        await client.SetInputMessageHandlerAsync("in1", (m, _) => { received.TrySetResult(m); return Task.FromResult(MessageResponse.Completed); }, CancellationToken.None);
        await client.SetDefaultInputMessageHandlerAsync((m, _) => { other.TrySetResult(m); return Task.FromResult(MessageResponse.Completed); }, CancellationToken.None);
        await client.OpenAsync(CancellationToken.None);

        await using var hub = new MqttPeer("hub-inputs");
        await hub.ConnectAsync(broker.Host, broker.Port);
        string bag = PropertyBagCodec.Encode(
            [new(SystemPropertyNames.MessageId, "m-7"), new(SystemPropertyNames.ConnectionModuleId, "sensor"), new(SystemPropertyNames.ContentType, "application/json")],
            [new("unit", "mm/s"), new("flag", "")]);
        await hub.PublishAsync(Topics.Input("d1", "receiver", "in1", bag), "{\"x\":2}"u8.ToArray());
        await hub.PublishAsync(Topics.Input("d1", "receiver", "in2", string.Empty), [9]);

        Message message = await received.Task.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal("in1", message.InputName);
        Assert.Equal("m-7", message.MessageId);
        Assert.Equal("sensor", message.ConnectionModuleId);
        Assert.Equal("application/json", message.ContentType);
        Assert.Equal("mm/s", message.Properties["unit"]);
        Assert.Equal(string.Empty, message.Properties["flag"]);
        Assert.Equal("{\"x\":2}", Encoding.UTF8.GetString(message.Body.Span));

        Message defaultMessage = await other.Task.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal("in2", defaultMessage.InputName);
    }

    [Fact]
    public async Task MethodHandler_RepliesOnResponseTopicWithRid()
    {
        await using ModuleClient client = CreateClient(broker.Host, broker.Port, "d1", "methods");
        await client.SetMethodHandlerAsync("echo", (r, _) => Task.FromResult(new MethodResponse(200, r.Data)), CancellationToken.None);
        await client.OpenAsync(CancellationToken.None);

        await using var hub = new MqttPeer("hub-methods");
        await hub.ConnectAsync(broker.Host, broker.Port, true, "$iothub/methods/res/#");
        await hub.PublishAsync(Topics.MethodRequest("echo", "r1"), "{\"a\":1}"u8.ToArray());
        await hub.PublishAsync(Topics.MethodRequest("missing", "r2"), "{}"u8.ToArray());

        await hub.WaitForAsync(() => hub.Messages.Count >= 2, TimeSpan.FromSeconds(5));
        var responses = hub.Messages.ToDictionary(m => m.Topic);
        Assert.Equal("{\"a\":1}", Encoding.UTF8.GetString(responses["$iothub/methods/res/200/?$rid=r1"].Payload));
        Assert.True(responses.ContainsKey("$iothub/methods/res/501/?$rid=r2"));
    }

    [Fact]
    public async Task Twin_GetPatchAndDesiredUpdates_AgainstSimulatedHub()
    {
        await using var hub = new MqttPeer("hub-twin");
        hub.OnMessage = async m =>
        {
            if (!Topics.TryParse(m.Topic, out ParsedTopic parsed, out _))
            {
                return;
            }

            if (parsed.Kind == TopicKind.TwinGet)
            {
                await hub.PublishAsync(Topics.TwinResponse(200, parsed.RequestId!), "{\"desired\":{\"threshold\":3,\"$version\":4},\"reported\":{\"$version\":2}}"u8.ToArray());
            }
            else if (parsed.Kind == TopicKind.TwinReportedPatch)
            {
                int status = Encoding.UTF8.GetString(m.Payload).Contains("bad", StringComparison.Ordinal) ? 400 : 204;
                await hub.PublishAsync(Topics.TwinResponse(status, parsed.RequestId!, 3), []);
            }
        };
        await hub.ConnectAsync(broker.Host, broker.Port, true, "$iothub/twin/GET/#", "$iothub/twin/PATCH/properties/reported/#");

        await using ModuleClient client = CreateClient(broker.Host, broker.Port, "d1", "twin");
        var patches = new TaskCompletionSource<JsonObject>(TaskCreationOptions.RunContinuationsAsynchronously);
        await client.SetDesiredPropertyUpdateCallbackAsync((p, _) => { patches.TrySetResult(p); return Task.CompletedTask; }, CancellationToken.None);
        await client.OpenAsync(CancellationToken.None);

        ModuleTwin twin = await client.GetTwinAsync(CancellationToken.None);
        Assert.Equal(3, twin.Desired["threshold"]!.GetValue<int>());
        Assert.Equal(4, twin.DesiredVersion);
        Assert.Equal(2, twin.ReportedVersion);

        Assert.Equal(3, await client.UpdateReportedPropertiesAsync(new JsonObject { ["state"] = "ok" }, CancellationToken.None));
        var failure = await Assert.ThrowsAsync<HubRequestException>(() => client.UpdateReportedPropertiesAsync(new JsonObject { ["state"] = "bad" }, CancellationToken.None));
        Assert.Equal(400, failure.Status);

        await hub.PublishAsync(Topics.TwinDesiredPatch(5), "{\"threshold\":4,\"$version\":5}"u8.ToArray());
        JsonObject patch = await patches.Task.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(4, patch["threshold"]!.GetValue<int>());
    }

    [Fact]
    public async Task GetTwinAsync_NoResponse_TimesOut()
    {
        await using ModuleClient client = CreateClient(broker.Host, broker.Port, "d1", "twin-timeout", new ModuleClientOptions());
        await client.OpenAsync(CancellationToken.None);
        var started = Stopwatch.StartNew();
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.GetTwinAsync(cts.Token));
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task SendEventAsync_20000PipelinedMessages_AllAcknowledgedAndDelivered()
    {
        const int count = 20_000;
        await using var peer = new MqttPeer("verifier-throughput");
        await peer.ConnectAsync(broker.Host, broker.Port, true, "devices/d1/modules/bulk/#");
        await using ModuleClient client = CreateClient(broker.Host, broker.Port, "d1", "bulk");
        await client.OpenAsync(CancellationToken.None);

        byte[] body = new byte[1024];
        await Task.WhenAll(Enumerable.Range(0, 2000).Select(_ => client.SendEventAsync("out", new Message(body), CancellationToken.None)));
        await peer.WaitForAsync(() => peer.Messages.Count >= 2000, TimeSpan.FromSeconds(30));
        peer.Messages.Clear();
        var sends = new Task[count];
        for (int i = 0; i < count; i++)
        {
            sends[i] = client.SendEventAsync("out", new Message(body), CancellationToken.None);
        }

        // Throughput is measured by `EdgeBench pipeline --client edgekit` (docs/benchmarks.md), not here.
        await Task.WhenAll(sends).WaitAsync(TimeSpan.FromSeconds(60));
        await peer.WaitForAsync(() => peer.Messages.Count >= count, TimeSpan.FromSeconds(30));
        Assert.Equal(count, peer.Messages.Count);
    }
}

[Trait("Category", "Integration")]
public class ModuleClientReconnectTests(PersistentMosquittoFixture broker, ITestOutputHelper output) : IClassFixture<PersistentMosquittoFixture>
{
    [Fact]
    public async Task MessagesSentDuringBrokerOutage_AreDeliveredAfterRestart_InOrder_NoneLost()
    {
        const string filter = "devices/d1/modules/outage/#";
        var peer = new MqttPeer("verifier-outage");
        await peer.ConnectAsync(broker.Host, broker.Port, false, filter);
        await using ModuleClient client = ModuleClientMosquittoTests.CreateClient(broker.Host, broker.Port, "d1", "outage", new ModuleClientOptions
        {
            ReconnectMinDelay = TimeSpan.FromMilliseconds(50),
            ReconnectMaxDelay = TimeSpan.FromMilliseconds(500),
        });
        await client.OpenAsync(CancellationToken.None);

        var sends = new List<Task>();
        for (int i = 0; i < 200; i++)
        {
            sends.Add(client.SendEventAsync("out", Numbered(i), CancellationToken.None));
        }

        // Stop while publishes may still be in flight; keep sending during the outage.
        await broker.StopAsync(graceful: true);
        await peer.DisposeAsync();
        await WaitUntilAsync(() => !client.IsConnected, TimeSpan.FromSeconds(10));
        for (int i = 200; i < 500; i++)
        {
            sends.Add(client.SendEventAsync("out", Numbered(i), CancellationToken.None));
        }

        Assert.True(client.QueueLength > 0);
        await Task.Delay(300);
        Assert.DoesNotContain(sends.Skip(200), t => t.IsCompleted);

        await broker.StartAsync();
        await using var verifier = new MqttPeer("verifier-outage");
        await verifier.ConnectAsync(broker.Host, broker.Port, false, filter);
        await Task.WhenAll(sends).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(client.IsConnected);

        // Messages received before the outage went to the first peer; the persistent session keeps the rest.
        var seen = new List<int>(peer.Messages.Select(m => BinaryPrimitives.ReadInt32BigEndian(m.Payload)));
        await verifier.WaitForAsync(() => seen.Concat(verifier.Messages.Select(m => BinaryPrimitives.ReadInt32BigEndian(m.Payload))).Distinct().Count() == 500, TimeSpan.FromSeconds(15));
        seen.AddRange(verifier.Messages.Select(m => BinaryPrimitives.ReadInt32BigEndian(m.Payload)));

        // At-least-once: duplicates are allowed, losses and reordering are not.
        var firstSeen = new List<int>();
        var distinct = new HashSet<int>();
        foreach (int n in seen)
        {
            if (distinct.Add(n))
            {
                firstSeen.Add(n);
            }
        }

        output.WriteLine($"received {seen.Count} ({seen.Count - distinct.Count} duplicates)");
        Assert.Equal(Enumerable.Range(0, 500), firstSeen);
    }

    private static Message Numbered(int n)
    {
        byte[] body = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(body, n);
        return new Message(body);
    }

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "Condition not met in time.");
            await Task.Delay(20);
        }
    }
}

[Trait("Category", "Integration")]
public class ModuleClientTokenRenewalTests(MosquittoFixture broker) : IClassFixture<MosquittoFixture>
{
    [Fact]
    public async Task TokenRenewal_At80PercentOfLifetime_ReconnectsWithoutLosingMessages()
    {
        var time = new TestSupport.ManualTimeProvider(DateTimeOffset.UtcNow);
        var logs = new TestSupport.ListLoggerProvider();
        await using var peer = new MqttPeer("verifier-renewal");
        await peer.ConnectAsync(broker.Host, broker.Port, true, "devices/d1/modules/renewal/#");
        var options = new ModuleClientOptions { UseTls = false, Port = broker.Port, TokenLifetime = TimeSpan.FromMinutes(10), OperationTimeout = TimeSpan.FromMinutes(10) };
        // (The PUBACK watchdog also runs on the injected clock: an operation timeout longer than the jumps keeps it out of this test.)
        await using ModuleClient client = ModuleClient.CreateFromConnectionString(
            $"HostName=hub.local;DeviceId=d1;ModuleId=renewal;SharedAccessKey=c2VjcmV0LWtleS1mb3ItdGVzdHMtMDEyMzQ1Njc4OWFiY2RlZg==;GatewayHostName={broker.Host}",
            options, logs, time);
        await client.OpenAsync(CancellationToken.None);
        Assert.Equal(1, logs.Count("Connected"));

        var sends = Enumerable.Range(0, 2000).Select(i => client.SendEventAsync("out", new Message(BitConverter.GetBytes(i)), CancellationToken.None)).ToList();
        time.Advance(TimeSpan.FromMinutes(7));
        Assert.Equal(1, logs.Count("Connected"));
        time.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1));

        DateTime deadline = DateTime.UtcNow.AddSeconds(20);
        while (logs.Count("Connected") < 2)
        {
            Assert.True(DateTime.UtcNow < deadline, "No reconnect after the renewal time.");
            await Task.Delay(20);
        }

        Assert.Equal(1, logs.Count("TokenRenewing"));
        try
        {
            await Task.WhenAll(sends).WaitAsync(TimeSpan.FromSeconds(20));
        }
        catch (TimeoutException)
        {
            Assert.Fail($"{sends.Count(t => t.IsCompleted)} sends completed, queue {client.QueueLength}; log:\n" + string.Join("\n", logs.Entries.Select(e => $"{e.EventId.Name}: {e.Message}")));
        }

        await peer.WaitForAsync(() => peer.Messages.Select(m => BitConverter.ToInt32(m.Payload)).Distinct().Count() == 2000, TimeSpan.FromSeconds(10));
    }
}

[Trait("Category", "Integration")]
public class ModuleClientRedeliveryTests(MosquittoFixture broker, ITestOutputHelper output) : IClassFixture<MosquittoFixture>
{
    [Fact]
    public async Task LostPubacks_ConnectionCut_UnacknowledgedMessagesAreResent_InOrder_NoneLost()
    {
        const int count = 1000;
        await using var peer = new MqttPeer("verifier-redelivery");
        await peer.ConnectAsync(broker.Host, broker.Port, true, "devices/d1/modules/redelivery/#");
        await using var proxy = new TestSupport.TcpProxy(broker.Host, broker.Port);
        await using ModuleClient client = ModuleClientMosquittoTests.CreateClient(broker.Host, proxy.Port, "d1", "redelivery", new ModuleClientOptions
        {
            ReconnectMinDelay = TimeSpan.FromMilliseconds(50),
            ReconnectMaxDelay = TimeSpan.FromMilliseconds(200),
        });
        await client.OpenAsync(CancellationToken.None);

        var sends = new List<Task>();
        for (int i = 0; i < count / 2; i++)
        {
            sends.Add(client.SendEventAsync("out", new Message(BitConverter.GetBytes(i)), CancellationToken.None));
        }

        await Task.WhenAll(sends.Take(50));

        // The broker receives the publishes but its PUBACKs never reach the client; then the connection is cut.
        proxy.SwallowDownstream = true;
        int acknowledgedAtSwallow = sends.Count(t => t.IsCompleted);
        for (int i = count / 2; i < count; i++)
        {
            sends.Add(client.SendEventAsync("out", new Message(BitConverter.GetBytes(i)), CancellationToken.None));
        }

        // Wait until the broker has passed on more publishes than were acknowledged when the PUBACKs started to vanish
        // (the in-flight window is 100), so some of them certainly reached the broker unacknowledged.
        await peer.WaitForAsync(() => peer.Messages.Count >= acknowledgedAtSwallow + 60, TimeSpan.FromSeconds(10));
        int unacknowledged = sends.Count(t => !t.IsCompleted);
        proxy.DropConnections();
        proxy.SwallowDownstream = false;

        await Task.WhenAll(sends).WaitAsync(TimeSpan.FromSeconds(30));
        await peer.WaitForAsync(() => peer.Messages.Select(m => BitConverter.ToInt32(m.Payload)).Distinct().Count() == count, TimeSpan.FromSeconds(15));

        List<int> seen = peer.Messages.Select(m => BitConverter.ToInt32(m.Payload)).ToList();
        var distinct = new HashSet<int>();
        List<int> firstSeen = seen.Where(distinct.Add).ToList();
        output.WriteLine($"{unacknowledged} unacknowledged at the cut; received {seen.Count} ({seen.Count - count} duplicates); connections {proxy.Accepted}");
        Assert.Equal(Enumerable.Range(0, count), firstSeen);
        Assert.True(proxy.Accepted >= 2);
        Assert.True(seen.Count > count, "Messages whose PUBACK was lost must have been sent again.");
    }
}

[Trait("Category", "Integration")]
public class ModuleClientTlsTests(TlsMosquittoFixture broker) : IClassFixture<TlsMosquittoFixture>
{
    private const string Key = "c2VjcmV0LWtleS1mb3ItdGVzdHMtMDEyMzQ1Njc4OWFiY2RlZg==";

    private ModuleClient CreateTlsClient(string module, Func<CancellationToken, Task<System.Security.Cryptography.X509Certificates.X509Certificate2Collection>>? trustBundle)
    {
        ModuleConnectionSettings settings = ModuleConnectionSettings.FromConnectionString(
            $"HostName=hub.local;DeviceId=d1;ModuleId={module};SharedAccessKey={Key};GatewayHostName={broker.Host}") with { TrustBundle = trustBundle };
        return new ModuleClient(settings, new ModuleClientOptions { UseTls = true, Port = broker.Port, OperationTimeout = TimeSpan.FromSeconds(5) });
    }

    [Fact]
    public async Task Tls_ServerCertificateIssuedByTrustBundleCa_Connects()
    {
        await using ModuleClient client = CreateTlsClient("tls-ok", _ =>
        {
            var bundle = new System.Security.Cryptography.X509Certificates.X509Certificate2Collection();
            bundle.ImportFromPem(broker.CaCertificatePem);
            return Task.FromResult(bundle);
        });
        await client.OpenAsync(CancellationToken.None);
        Assert.True(client.IsConnected);
        await client.SendEventAsync("out", new Message([1]), CancellationToken.None);
    }

    [Fact]
    public async Task Tls_WithoutTrustBundle_RejectsTheCertificateAndKeepsRetrying()
    {
        await using ModuleClient client = CreateTlsClient("tls-untrusted", null);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.OpenAsync(cts.Token));
        Assert.False(client.IsConnected);
    }
}
