using System.Buffers.Binary;
using System.Text.Json.Nodes;
using EdgeHub.Tests.Support;
using MQTTnet;
using MQTTnet.Protocol;

namespace EdgeHub.Tests.Mqtt;

[Trait("Category", "Integration")]
public sealed class CrashRecoveryTests
{
    private const int Count = 10_000;

    [Fact]
    public async Task KillMinus9_WhileMessagesAreStoredForAnOfflineModule_EveryAcknowledgedSequenceIsDeliveredInOrderAfterRestart()
    {
        var routes = new JsonObject { ["r"] = "FROM /messages/modules/sender/outputs/out1 INTO BrokeredEndpoint(\"/modules/receiver/inputs/in1\")" };
        await using var hub = new HubProcess(routes);
        await hub.StartAsync();

        // Send 10,000 sequence-numbered messages with up to 100 in flight; kill -9 the hub half way.
        var acknowledged = new bool[Count];
        int next = 0;
        int acked = 0;
        var sender = new MqttClientFactory().CreateMqttClient();
        await sender.ConnectAsync(RawModule.Options(hub.MqttPort, "sender"));
        var inFlight = new List<Task>();
        try
        {
            while (next < Count)
            {
                inFlight.RemoveAll(t => t.IsCompleted);
                while (inFlight.Count < 100 && next < Count)
                {
                    int seq = next++;
                    inFlight.Add(Publish(sender, seq).ContinueWith(
                        t =>
                        {
                            if (t.IsCompletedSuccessfully && t.Result.IsSuccess)
                            {
                                acknowledged[seq] = true;
                                Interlocked.Increment(ref acked);
                            }
                        },
                        TaskScheduler.Default));
                }

                if (Volatile.Read(ref acked) >= Count / 2)
                {
                    hub.Kill();
                    break;
                }

                await Task.WhenAny(inFlight);
            }

            await Task.WhenAll(inFlight).WaitAsync(TimeSpan.FromSeconds(30));
        }
        finally
        {
            sender.Dispose();
        }

        int ackedBeforeCrash = Volatile.Read(ref acked);
        Assert.True(ackedBeforeCrash >= Count / 2, $"only {ackedBeforeCrash} acknowledged before the kill");

        // Restart on the same state; the sender resends what was not acknowledged, as an at-least-once sender does.
        await hub.StartAsync();
        var resender = new MqttClientFactory().CreateMqttClient();
        await resender.ConnectAsync(RawModule.Options(hub.MqttPort, "sender"));
        for (int seq = 0; seq < Count; seq++)
        {
            if (!acknowledged[seq])
            {
                var result = await Publish(resender, seq);
                Assert.True(result.IsSuccess);
            }
        }

        await resender.DisconnectAsync();
        resender.Dispose();

        // The receiver comes online only now.
        var firstSeen = new List<int>(Count);
        var seen = new bool[Count];
        using var all = new SemaphoreSlim(0);
        using var receiver = new MqttClientFactory().CreateMqttClient();
        receiver.ApplicationMessageReceivedAsync += e =>
        {
            int seq = BinaryPrimitives.ReadInt32LittleEndian(e.ApplicationMessage.Payload.FirstSpan);
            lock (firstSeen)
            {
                if (!seen[seq])
                {
                    seen[seq] = true;
                    firstSeen.Add(seq);
                    if (firstSeen.Count == Count)
                    {
                        all.Release();
                    }
                }
            }

            return Task.CompletedTask;
        };
        await receiver.ConnectAsync(RawModule.Options(hub.MqttPort, "receiver"));
        await receiver.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter("devices/dev1/modules/receiver/#", MqttQualityOfServiceLevel.AtLeastOnce).Build());

        bool complete = await all.WaitAsync(TimeSpan.FromSeconds(90));
        lock (firstSeen)
        {
            Assert.True(complete, $"received {firstSeen.Count} of {Count} distinct sequence numbers");
            for (int i = 0; i < Count; i++)
            {
                Assert.Equal(i, firstSeen[i]);
            }
        }
    }

    private static Task<MqttClientPublishResult> Publish(IMqttClient client, int seq)
    {
        byte[] payload = new byte[64];
        BinaryPrimitives.WriteInt32LittleEndian(payload, seq);
        return client.PublishAsync(new MqttApplicationMessageBuilder()
            .WithTopic("devices/dev1/modules/sender/messages/events/$.on=out1")
            .WithPayload(payload)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .Build());
    }
}
