using EdgeHub.Diagnostics;
using EdgeHub.Messaging;
using EdgeHub.Storage;
using EdgeHub.Upstream;
using Microsoft.Extensions.Logging;

namespace EdgeHub.Delivery;

/// <summary>Moves `$upstream` entries of one device from the store into the local event stream (the IoT Hub stand-in).</summary>
internal sealed class UpstreamDispatcher
{
    private readonly IEndpointQueue _queue;
    private readonly LocalEventStream _stream;
    private readonly HubMetrics _metrics;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;

    public UpstreamDispatcher(IEndpointQueue queue, LocalEventStream stream, HubMetrics metrics, ILogger logger, TimeProvider time)
    {
        _queue = queue;
        _stream = stream;
        _metrics = metrics;
        _logger = logger;
        _time = time;
    }

    public string EndpointId => _queue.EndpointId;

    public async Task RunAsync(CancellationToken stoppingToken)
    {
        var batch = new List<QueueEntry>(256);
        var messages = new List<HubMessage>(256);
        int failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                batch.Clear();
                messages.Clear();
                await _queue.ReadAsync(batch, 256, stoppingToken).ConfigureAwait(false);
                for (int i = 0; i < batch.Count; i++)
                {
                    messages.Add(batch[i].Message);
                }

                _stream.Append(messages, _time.GetUtcNow());
                for (int i = 0; i < batch.Count; i++)
                {
                    _queue.Acknowledge(batch[i].Sequence, batch[i].Priority);
                }

                _metrics.MessagesDelivered.Add(batch.Count);
                failures = 0;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                _queue.Rewind();
                if (!await DeliveryBackoff.AfterFailureAsync(ex, ++failures, EndpointId, _metrics, _logger, stoppingToken).ConfigureAwait(false))
                {
                    return;
                }
            }
        }
    }
}
