using EdgeHub.Messaging;

namespace EdgeHub.Storage;

/// <summary>
/// The hub's store-and-forward log. A message is appended once with the list of endpoints it was routed to;
/// each endpoint then reads its own ordered queue and acknowledges what its receiver acknowledged.
/// Contract (see docs/store-and-forward.md):
/// - <see cref="AppendAsync"/> returns only after the message and its enqueue records are written to the
///   operating system (survives kill -9 of the hub process); with <see cref="StoreFlushMode.Fsync"/> also after fsync.
///   Concurrent appends are group-committed.
/// - Per endpoint, entries are delivered highest priority first (0 is highest, as in edgeHub), FIFO within a priority.
/// - Entries whose expiry has passed are dropped at read time and counted.
/// - After a restart, every entry not acknowledged is delivered again (at least once).
/// </summary>
public interface IMessageStore : IAsyncDisposable
{
    /// <summary>Appends a message routed to <paramref name="targets"/>. Returns the store sequence number.</summary>
    ValueTask<long> AppendAsync(HubMessage message, IReadOnlyList<EnqueueTarget> targets, CancellationToken cancellationToken);

    /// <summary>The queue of one endpoint (created on first use; endpoints are identified by their sink text, e.g. "/modules/m/inputs/i" or "$upstream").</summary>
    IEndpointQueue GetQueue(string endpointId);

    /// <summary>Endpoint ids that currently hold entries or checkpoints.</summary>
    IReadOnlyCollection<string> Endpoints { get; }
}

/// <summary>Where a routed message goes, with the route's priority (0-9, 0 highest) and absolute expiry.</summary>
public readonly record struct EnqueueTarget(string EndpointId, int Priority, DateTimeOffset ExpiresAt);

/// <summary>One entry read from an endpoint queue. The message body is owned by the entry (safe to keep).</summary>
public sealed record QueueEntry(long Sequence, int Priority, DateTimeOffset ExpiresAt, HubMessage Message);

public interface IEndpointQueue
{
    string EndpointId { get; }

    /// <summary>Entries neither acknowledged nor expired (including entries read but not yet acknowledged).</summary>
    long PendingCount { get; }

    /// <summary>Entries dropped because their time to live passed before delivery.</summary>
    long ExpiredCount { get; }

    /// <summary>
    /// Waits until at least one entry is available past the read cursor, then copies up to <paramref name="max"/> entries
    /// into <paramref name="into"/> (highest priority first, FIFO within a priority) and advances the read cursor past them.
    /// </summary>
    ValueTask<int> ReadAsync(List<QueueEntry> into, int max, CancellationToken cancellationToken);

    /// <summary>Marks one entry delivered. Acknowledgements may arrive in any order; the durable checkpoint only advances over a contiguous acknowledged prefix per priority.</summary>
    void Acknowledge(long sequence, int priority);

    /// <summary>Moves the read cursor back to the oldest unacknowledged entry (e.g. after the receiver disconnected with messages in flight).</summary>
    void Rewind();
}

public enum StoreFlushMode
{
    /// <summary>write(2) before acknowledging: survives a crash of the hub process, not of the machine (edgeHub's RocksDB default).</summary>
    OperatingSystem,

    /// <summary>fsync before acknowledging (group commit): survives power loss, slower.</summary>
    Fsync,
}

public sealed class MessageStoreOptions
{
    /// <summary>Folder that holds the log segments and checkpoints.</summary>
    public string Directory { get; set; } = "";

    public StoreFlushMode FlushMode { get; set; } = StoreFlushMode.OperatingSystem;

    /// <summary>Segment file size after which a new segment starts; fully acknowledged segments are deleted.</summary>
    public long SegmentBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>Largest message (body plus properties) the store accepts.</summary>
    public int MaxMessageBytes { get; set; } = 256 * 1024 + 16 * 1024;

    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Longest time between checkpoint writes while acknowledgements arrive (acknowledged entries may be redelivered after a crash within it).</summary>
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Acknowledgements after which the checkpoint is written early, before <see cref="CheckpointInterval"/> has passed.</summary>
    public int CheckpointEveryAcks { get; set; } = 10_000;

    /// <summary>Bytes of recently appended messages kept in memory so that readers that keep up do not read segments back.</summary>
    public long CacheBytes { get; set; } = 16L * 1024 * 1024;
}
