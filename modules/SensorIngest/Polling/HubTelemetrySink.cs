using System.Threading.Channels;
using EdgeKit;
using EdgeKit.Client;
using Microsoft.Extensions.Logging;

namespace SensorIngest.Polling;

/// <summary>
/// Publishes batches on output <c>telemetry</c>: pollers enqueue into a bounded queue and return at once (a slow hub
/// never moves a poll slot); <see cref="RunAsync"/> encodes each batch (split below 256 KB) and sends it with up to
/// <see cref="MaxInFlight"/> sends awaiting their PUBACK. When the queue is full the oldest batch is dropped and counted
/// (the disk-backed buffer of issue 4 is not done yet).
/// </summary>
public sealed partial class HubTelemetrySink : ITelemetrySink
{
    public const string OutputName = "telemetry";
    public const int QueueCapacity = 10_000;
    public const int MaxInFlight = 64;

    private readonly ModuleClient _client;
    private readonly ILogger _logger;
    private readonly Channel<TelemetryBatch> _queue;
    private long _sent;
    private long _dropped;
    private long _failed;

    public HubTelemetrySink(ModuleClient client, ILogger<HubTelemetrySink> logger)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
        _logger = logger;
        _queue = Channel.CreateBounded<TelemetryBatch>(
            new BoundedChannelOptions(QueueCapacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true },
            _ => Interlocked.Increment(ref _dropped));
    }

    public long Sent => Interlocked.Read(ref _sent);

    public long Dropped => Interlocked.Read(ref _dropped);

    public long Failed => Interlocked.Read(ref _failed);

    public int Queued => _queue.Reader.Count;

    public ValueTask PublishAsync(TelemetryBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        _queue.Writer.TryWrite(batch); // DropOldest: always accepted
        return ValueTask.CompletedTask;
    }

    /// <summary>The send loop; ends when <paramref name="cancellationToken"/> is cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var inFlight = new SemaphoreSlim(MaxInFlight, MaxInFlight);
        try
        {
            await foreach (TelemetryBatch batch in _queue.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                foreach (byte[] body in TelemetryEncoder.EncodeCapped(batch))
                {
                    await inFlight.WaitAsync(cancellationToken).ConfigureAwait(false);
                    _ = SendAsync(CreateMessage(batch.Source, body), inFlight, cancellationToken);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }

        // Let sends that are already out finish (or fail with the client's close) before the semaphore goes away.
        for (int i = 0; i < MaxInFlight; i++)
        {
            if (!await inFlight.WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None).ConfigureAwait(false))
            {
                break;
            }
        }
    }

    /// <summary>The message edgeHub routes: JSON, UTF-8 (so <c>$body</c> conditions work), <c>schema</c> and <c>source</c> properties.</summary>
    public static Message CreateMessage(string source, byte[] body)
    {
        var message = new Message(body) { ContentType = "application/json", ContentEncoding = "utf-8" };
        message.Properties["schema"] = TelemetryBatch.SchemaName;
        message.Properties["source"] = source;
        return message;
    }

    private async Task SendAsync(Message message, SemaphoreSlim inFlight, CancellationToken cancellationToken)
    {
        try
        {
            await _client.SendEventAsync(OutputName, message, cancellationToken).ConfigureAwait(false);
            Interlocked.Increment(ref _sent);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            Interlocked.Increment(ref _failed);
            SinkLog.SendFailed(_logger, ex, message.Properties["source"]);
        }
        finally
        {
            inFlight.Release();
        }
    }

    private static partial class SinkLog
    {
        [LoggerMessage(EventId = 4201, Level = LogLevel.Warning, Message = "Sending telemetry of {Source} failed")]
        public static partial void SendFailed(ILogger logger, Exception exception, string source);
    }
}
