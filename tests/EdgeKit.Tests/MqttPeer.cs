using System.Buffers;
using System.Collections.Concurrent;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace EdgeKit.Tests;

/// <summary>A plain MQTTnet client that plays the hub's side in tests: records what arrives, publishes to the module.</summary>
internal sealed class MqttPeer : IAsyncDisposable
{
    private readonly IMqttClient _client = new MqttClientFactory().CreateMqttClient();
    private readonly string _clientId;

    public MqttPeer(string clientId)
    {
        _clientId = clientId;
        _client.ApplicationMessageReceivedAsync += e =>
        {
            var received = new Received(e.ApplicationMessage.Topic, e.ApplicationMessage.Payload.ToArray());
            Messages.Enqueue(received);
            return OnMessage is null ? Task.CompletedTask : OnMessage(received);
        };
    }

    public ConcurrentQueue<Received> Messages { get; } = new();

    public Func<Received, Task>? OnMessage { get; set; }

    public async Task ConnectAsync(string host, int port, bool cleanSession = true, params string[] filters)
    {
        MqttClientOptions options = new MqttClientOptionsBuilder()
            .WithTcpServer(host, port)
            .WithProtocolVersion(MqttProtocolVersion.V311)
            .WithClientId(_clientId)
            .WithCleanSession(cleanSession)
            .Build();
        await _client.ConnectAsync(options);
        if (filters.Length > 0)
        {
            var builder = new MqttClientSubscribeOptionsBuilder();
            foreach (string filter in filters)
            {
                builder.WithTopicFilter(filter, MqttQualityOfServiceLevel.AtLeastOnce);
            }

            await _client.SubscribeAsync(builder.Build());
        }
    }

    public Task PublishAsync(string topic, byte[] payload)
        => _client.PublishAsync(new MqttApplicationMessage
        {
            Topic = topic,
            Payload = new ReadOnlySequence<byte>(payload),
            QualityOfServiceLevel = MqttQualityOfServiceLevel.AtLeastOnce,
        });

    public async Task WaitForAsync(Func<bool> condition, TimeSpan timeout)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("Condition not met in time.");
            }

            await Task.Delay(20);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_client.IsConnected)
            {
                await _client.DisconnectAsync();
            }
        }
        catch (MQTTnet.Exceptions.MqttCommunicationException)
        {
        }

        _client.Dispose();
    }

    internal sealed record Received(string Topic, byte[] Payload);
}
