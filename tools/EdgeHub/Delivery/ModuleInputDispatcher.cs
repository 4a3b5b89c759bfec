using System.Buffers;
using EdgeHub.Diagnostics;
using EdgeHub.Messaging;
using EdgeHub.Mqtt;
using EdgeHub.Storage;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Protocol;

namespace EdgeHub.Delivery;

/// <summary>
/// Delivers one endpoint `BrokeredEndpoint("/modules/{m}/inputs/{i}")` of one device: waits until the module is connected
/// and subscribed, sends stored entries in order as QoS 1 publishes on `devices/{d}/modules/{m}/inputs/{i}/{properties}`
/// with at most <see cref="Window"/> unacknowledged, acknowledges each entry in the store on PUBACK, and after a disconnect
/// rewinds to the oldest unacknowledged entry (at-least-once, in order).
/// </summary>
internal sealed class ModuleInputDispatcher : IDisposable
{
    public const int Window = 256;

    private readonly IEndpointQueue _queue;
    private readonly ConnectionRegistry _connections;
    private readonly HubMetrics _metrics;
    private readonly ILogger _logger;
    private readonly string _clientId;
    private readonly string _topicPrefix;
    private SemaphoreSlim _window = new(Window, Window);

    public ModuleInputDispatcher(string endpointId, string deviceId, string moduleId, string inputName, IEndpointQueue queue,
        ConnectionRegistry connections, HubMetrics metrics, ILogger logger)
    {
        EndpointId = endpointId;
        _queue = queue;
        _connections = connections;
        _metrics = metrics;
        _logger = logger;
        _clientId = deviceId + "/" + moduleId;
        _topicPrefix = "devices/" + deviceId + "/modules/" + moduleId + "/inputs/" + inputName + "/";
    }

    public string EndpointId { get; }

    public void Dispose() => Volatile.Read(ref _window).Dispose();

    public IEndpointQueue Queue => _queue;

    public async Task RunAsync(CancellationToken stoppingToken)
    {
        var batch = new List<QueueEntry>(64);
        int failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            ModuleConnection connection;
            try
            {
                connection = await _connections.WaitForInputSubscriberAsync(_clientId, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            HubLog.DeliveryResumed(_logger, EndpointId, _clientId);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, connection.Lifetime);
            var window = new SemaphoreSlim(Window, Window);
            Volatile.Write(ref _window, window);
            try
            {
                while (true)
                {
                    batch.Clear();
                    await _queue.ReadAsync(batch, 64, linked.Token).ConfigureAwait(false);
                    for (int i = 0; i < batch.Count; i++)
                    {
                        await window.WaitAsync(linked.Token).ConfigureAwait(false);
                        var entry = batch[i];
                        if (!connection.TrySend(ToMqtt(entry.Message), new InFlightEntry(this, entry.Sequence, entry.Priority)))
                        {
                            throw new InvalidOperationException("the module's session refused the message (disconnected or its queue is full)");
                        }
                    }

                    failures = 0;
                }
            }
            catch (OperationCanceledException) when (linked.IsCancellationRequested)
            {
                // The module disconnected or the hub stops: entries in flight are redelivered from the store.
            }
            catch (Exception ex)
            {
                if (!await DeliveryBackoff.AfterFailureAsync(ex, ++failures, EndpointId, _metrics, _logger, stoppingToken).ConfigureAwait(false))
                {
                    return;
                }
            }
            finally
            {
                _queue.Rewind();
            }
        }
    }

    /// <summary>Called when the module acknowledged a packet this dispatcher sent.</summary>
    public void OnAcknowledged(in InFlightEntry entry)
    {
        _queue.Acknowledge(entry.Sequence, entry.Priority);
        _metrics.MessagesDelivered.Add(1);
        try
        {
            Volatile.Read(ref _window).Release();
        }
        catch (SemaphoreFullException)
        {
            // A late acknowledgement from a previous connection; its window is gone.
        }
    }

    private MqttApplicationMessage ToMqtt(HubMessage message) => new()
    {
        Topic = _topicPrefix + WireFormat.EncodeProperties(message),
        Payload = new ReadOnlySequence<byte>(message.Body),
        QualityOfServiceLevel = MqttQualityOfServiceLevel.AtLeastOnce,
    };
}
