using System.Text.Json;
using System.Text.Json.Serialization;
using EdgeHub.Hosting;
using EdgeHub.Messaging;
using EdgeKit.Protocol;

namespace EdgeHub.Upstream;

/// <summary>
/// One event that reached `$upstream`, shaped like the Event Hubs-compatible endpoint's EventData:
/// IoT Hub system properties (`iothub-connection-device-id`, ...), application properties and the body.
/// </summary>
public sealed class UpstreamEvent
{
    public long SequenceNumber { get; set; }

    public DateTimeOffset EnqueuedTime { get; set; }

    public Dictionary<string, string> SystemProperties { get; set; } = new(StringComparer.Ordinal);

    public Dictionary<string, string> Properties { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The message body, base64.</summary>
    [JsonPropertyName("body")]
    public string BodyBase64 { get; set; } = "";

    [JsonIgnore]
    public byte[] Body => Convert.FromBase64String(BodyBase64);
}

/// <summary>Reads upstream events in order from a sequence number; the interface the cloud consumers share with Event Hubs.</summary>
public interface IUpstreamEventSource
{
    /// <summary>Sequence number of the newest event, -1 when empty.</summary>
    long LastSequenceNumber { get; }

    /// <summary>Waits until an event at or after <paramref name="fromSequence"/> exists (or the token fires), then returns up to <paramref name="max"/>.</summary>
    ValueTask<IReadOnlyList<UpstreamEvent>> ReadAsync(long fromSequence, int max, CancellationToken cancellationToken);
}

/// <summary>
/// The local stand-in for IoT Hub's built-in event endpoint: an append-only JSON-lines file
/// (`{state}/upstream/events.jsonl`), one <see cref="UpstreamEvent"/> per line, sequence numbers from 0.
/// A torn last line (crash while writing) is dropped on open; the store redelivers it since it was not acknowledged.
/// </summary>
public sealed class LocalEventStream : IUpstreamEventSource, IAsyncDisposable
{
    private static readonly byte[] NewLine = "\n"u8.ToArray();
    private readonly FileStream? _file;
    private readonly List<long> _offsets = [];
    private readonly List<UpstreamEvent> _memory = [];
    private readonly Lock _gate = new();
    private TaskCompletionSource _appended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _disposed;

    public LocalEventStream(string? stateDirectory)
    {
        if (stateDirectory is null)
        {
            return;
        }

        string folder = Path.Combine(stateDirectory, "upstream");
        Directory.CreateDirectory(folder);
        string path = Path.Combine(folder, "events.jsonl");
        _file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, 1, FileOptions.None);
        long validEnd = ScanExisting();
        _file.SetLength(validEnd);
        _file.Position = validEnd;
    }

    public long LastSequenceNumber
    {
        get
        {
            lock (_gate)
            {
                return Count - 1;
            }
        }
    }

    private int Count => _file is null ? _memory.Count : _offsets.Count;

    /// <summary>Appends a batch of routed messages, written to the OS before returning.</summary>
    public void Append(IReadOnlyList<HubMessage> messages, DateTimeOffset enqueuedTime)
    {
        ArgumentNullException.ThrowIfNull(messages);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            for (int i = 0; i < messages.Count; i++)
            {
                var ev = ToEvent(messages[i], Count, enqueuedTime);
                if (_file is null)
                {
                    _memory.Add(ev);
                    continue;
                }

                byte[] line = JsonSerializer.SerializeToUtf8Bytes(ev, HubJsonContext.Default.UpstreamEvent);
                _offsets.Add(_file.Position);
                _file.Write(line);
                _file.Write(NewLine);
            }

            _file?.Flush();
            var signal = _appended;
            _appended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            signal.TrySetResult();
        }
    }

    public async ValueTask<IReadOnlyList<UpstreamEvent>> ReadAsync(long fromSequence, int max, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(fromSequence);
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        while (true)
        {
            Task wait;
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                if (fromSequence < Count)
                {
                    return ReadLocked(fromSequence, max);
                }

                wait = _appended.Task;
            }

            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return ValueTask.CompletedTask;
            }

            _disposed = true;
            _file?.Dispose();
        }

        return ValueTask.CompletedTask;
    }

    internal static UpstreamEvent ToEvent(HubMessage message, long sequence, DateTimeOffset enqueuedTime)
    {
        var ev = new UpstreamEvent
        {
            SequenceNumber = sequence,
            EnqueuedTime = enqueuedTime,
            BodyBase64 = Convert.ToBase64String(message.Body.Span),
        };
        foreach (var (key, value) in message.Properties)
        {
            ev.Properties[key] = value;
        }

        // Names as the Event Hubs-compatible endpoint exposes them.
        foreach (var (key, value) in message.SystemProperties)
        {
            string name = key switch
            {
                SystemPropertyNames.ConnectionDeviceId => "iothub-connection-device-id",
                SystemPropertyNames.ConnectionModuleId => "iothub-connection-module-id",
                SystemPropertyNames.EnqueuedTime => "iothub-enqueuedtime",
                SystemPropertyNames.ContentType => "content-type",
                SystemPropertyNames.ContentEncoding => "content-encoding",
                SystemPropertyNames.MessageId => "message-id",
                SystemPropertyNames.CorrelationId => "correlation-id",
                SystemPropertyNames.UserId => "user-id",
                SystemPropertyNames.OutputName => "iothub-outputname",
                _ => "iothub-" + key,
            };
            ev.SystemProperties[name] = value;
        }

        ev.SystemProperties["iothub-message-source"] = message.Source.Kind == MessageSourceKind.TwinChangeNotification ? "twinChangeEvents" : "Telemetry";
        return ev;
    }

    private List<UpstreamEvent> ReadLocked(long fromSequence, int max)
    {
        int end = (int)Math.Min(Count, fromSequence + max);
        var result = new List<UpstreamEvent>(end - (int)fromSequence);
        if (_file is null)
        {
            for (int i = (int)fromSequence; i < end; i++)
            {
                result.Add(_memory[i]);
            }

            return result;
        }

        long start = _offsets[(int)fromSequence];
        long stop = end < _offsets.Count ? _offsets[end] : _file.Length;
        byte[] buffer = new byte[stop - start];
        RandomAccess.Read(_file.SafeFileHandle, buffer, start);
        int position = 0;
        for (int i = (int)fromSequence; i < end; i++)
        {
            int length = (int)((i + 1 < _offsets.Count ? _offsets[i + 1] : _file.Length) - _offsets[i]) - 1;
            result.Add(JsonSerializer.Deserialize(buffer.AsSpan(position, length), HubJsonContext.Default.UpstreamEvent)!);
            position += length + 1;
        }

        return result;
    }

    private long ScanExisting()
    {
        var file = _file!;
        file.Position = 0;
        byte[] all = new byte[file.Length];
        file.ReadExactly(all);
        long lineStart = 0;
        for (int i = 0; i < all.Length; i++)
        {
            if (all[i] != (byte)'\n')
            {
                continue;
            }

            if (!IsEvent(all.AsSpan((int)lineStart, i - (int)lineStart)))
            {
                return lineStart;
            }

            _offsets.Add(lineStart);
            lineStart = i + 1;
        }

        return lineStart;
    }

    private static bool IsEvent(ReadOnlySpan<byte> line)
    {
        try
        {
            return JsonSerializer.Deserialize(line, HubJsonContext.Default.UpstreamEvent) is not null;
        }
        catch (JsonException)
        {
            return false;
        }
    }

}
