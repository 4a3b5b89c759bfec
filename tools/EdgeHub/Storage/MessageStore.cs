using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Runtime.CompilerServices;
using EdgeHub.Messaging;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeHub.Storage;

/// <summary>
/// File-backed <see cref="IMessageStore"/>: an append-only log of segments, an in-memory index per endpoint and
/// priority, and a checkpoint file with the acknowledged prefix of every endpoint lane. See docs/store-and-forward.md.
/// Thread-safe. Appends are group-committed: the first appender to find no write in progress writes everything
/// queued so far with one write (and one fsync in <see cref="StoreFlushMode.Fsync"/>), the others wait for it.
/// </summary>
public sealed class MessageStore : IMessageStore
{
    /// <summary>Longest endpoint id (UTF-16 chars); the checkpoint file stores ids with a 16-bit byte count.</summary>
    public const int MaxEndpointIdLength = 1024;

    private const string LockFileName = "store.lock";
    private const int InitialBatchBytes = 256 * 1024;
    private const int MaxRetainedBatchBytes = 8 * 1024 * 1024;

    private readonly MessageStoreOptions _options;
    private readonly string _directory;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly StoreMetrics _metrics;
    private readonly ConcurrentDictionary<string, EndpointQueue> _queues = new(StringComparer.Ordinal);
    private readonly Func<string, MessageStore, EndpointQueue> _queueFactory = static (id, store) => new EndpointQueue(store, id);
    private readonly FileStream _lockFile;

    // Appending: _appendLock guards _nextSequence, _filling, _flushing and _disposed (for appends).
    private readonly object _appendLock = new();
    private long _nextSequence;
    private Batch _filling = new();
    private Batch? _spare = new();
    private bool _flushing;
    private bool _closed;

    // Only the flushing appender touches these (the flusher role is exclusive and handed over under _appendLock).
    private readonly MessageCache _cache;

    private readonly object _segmentsLock = new();
    private readonly List<Segment> _segments = [];
    private Segment _active = null!;

    private readonly object _checkpointLock = new();
    private long _checkpointVersion;
    private long _writtenCheckpointVersion;
    private int _acksSinceCheckpoint;
    private int _kickPending;
    private readonly SemaphoreSlim _kick = new(0, int.MaxValue);
    private readonly CancellationTokenSource _stopping = new();
    private Task _maintenance = Task.CompletedTask;
    private long _corruptRecords;
    private long _batchesWritten;
    private int _disposed;

    private MessageStore(MessageStoreOptions options, ILogger? logger)
    {
        _options = options;
        _directory = Path.GetFullPath(options.Directory);
        _time = options.TimeProvider;
        _logger = logger ?? NullLogger.Instance;
        _cache = new MessageCache(options.CacheBytes);
        Directory.CreateDirectory(_directory);
        try
        {
            // FileShare.None takes an advisory lock on Unix: a second store on the same folder fails here, not later.
            _lockFile = new FileStream(Path.Combine(_directory, LockFileName), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 0);
        }
        catch (IOException ex)
        {
            throw new MessageStoreException($"The store folder {_directory} is in use by another store.", ex);
        }

        _metrics = new StoreMetrics(ObservePending);
    }

    /// <summary>The store's meter (name "EdgeHub.Storage"), for listeners that want this instance only.</summary>
    internal Meter Meter => _metrics.Meter;

    /// <summary>Torn or corrupt records found (and truncated) when the store opened.</summary>
    public long CorruptRecordCount => Interlocked.Read(ref _corruptRecords);

    /// <summary>Writes (and, in Fsync mode, fsyncs) issued for appends so far: fewer than appends when group commit works.</summary>
    internal long BatchesWritten => Interlocked.Read(ref _batchesWritten);

    /// <summary>Number of segment files currently on disk.</summary>
    public int SegmentCount
    {
        get
        {
            lock (_segmentsLock)
            {
                return _segments.Count;
            }
        }
    }

    public IReadOnlyCollection<string> Endpoints => new List<string>(_queues.Keys);

    internal long UtcNowTicks => _time.GetUtcNow().UtcTicks;

    /// <summary>
    /// Opens (creating if needed) the store in <see cref="MessageStoreOptions.Directory"/>, recovering the index from the
    /// segments and the checkpoint file. A torn final record is truncated; open never fails because of one.
    /// </summary>
    public static MessageStore Open(MessageStoreOptions options) => Open(options, logger: null);

    /// <inheritdoc cref="Open(MessageStoreOptions)"/>
    public static MessageStore Open(MessageStoreOptions options, ILogger? logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        Validate(options);
        var store = new MessageStore(options, logger);
        try
        {
            store.Recover();
            store._maintenance = Task.Run(store.MaintenanceLoopAsync);
            return store;
        }
        catch
        {
            store.CloseFiles();
            throw;
        }
    }

    /// <summary>Asynchronous variant of <see cref="Open(MessageStoreOptions)"/>: recovery reads every segment once.</summary>
    public static Task<MessageStore> OpenAsync(MessageStoreOptions options, ILogger? logger = null, CancellationToken cancellationToken = default) =>
        Task.Run(() => Open(options, logger), cancellationToken);

    public IEndpointQueue GetQueue(string endpointId)
    {
        ArgumentException.ThrowIfNullOrEmpty(endpointId);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(endpointId.Length, MaxEndpointIdLength, nameof(endpointId));
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return GetOrAddQueue(endpointId);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<long> AppendAsync(HubMessage message, IReadOnlyList<EnqueueTarget> targets, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(targets);
        cancellationToken.ThrowIfCancellationRequested();
        for (int i = 0; i < targets.Count; i++)
        {
            EnqueueTarget target = targets[i];
            ArgumentException.ThrowIfNullOrEmpty(target.EndpointId, nameof(targets));
            if (target.EndpointId.Length > MaxEndpointIdLength)
            {
                throw new ArgumentException($"Endpoint ids are limited to {MaxEndpointIdLength} characters.", nameof(targets));
            }

            if ((uint)target.Priority >= EndpointQueue.PriorityCount)
            {
                throw new ArgumentOutOfRangeException(nameof(targets), target.Priority, "Priority must be 0-9.");
            }
        }

        int payloadLength = RecordCodec.MeasurePayload(message, targets, out long messageBytes);
        if (messageBytes > _options.MaxMessageBytes || payloadLength < 0)
        {
            throw new MessageTooLargeException(messageBytes, _options.MaxMessageBytes);
        }

        if (targets.Count == 0)
        {
            // No route matched: nothing to deliver, so nothing to make durable (edgeHub does not store such messages either).
            lock (_appendLock)
            {
                ObjectDisposedException.ThrowIf(_closed, this);
                return _nextSequence++;
            }
        }

        int frameLength = RecordCodec.FrameHeaderSize + payloadLength;
        Task completion;
        long sequence;
        bool lead;
        byte[] frame = ArrayPool<byte>.Shared.Rent(frameLength);
        try
        {
            if (RecordCodec.WritePayload(frame.AsSpan(RecordCodec.FrameHeaderSize, payloadLength), message, targets) != payloadLength)
            {
                throw new InvalidOperationException("The message changed while it was being stored; HubMessage instances must not change once routed.");
            }

            lock (_appendLock)
            {
                ObjectDisposedException.ThrowIf(_closed, this);
                sequence = _nextSequence++;
                RecordCodec.PatchSequence(frame.AsSpan(RecordCodec.FrameHeaderSize, payloadLength), sequence);
                RecordCodec.WriteFrameHeader(frame, payloadLength);
                Batch batch = _filling;
                batch.Add(frame.AsSpan(0, frameLength), new PendingAppend(new StoredMessage(sequence, frameLength), message, targets, messageBytes));
                completion = batch.Completion.Task;
                lead = !_flushing;
                _flushing = true;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(frame);
        }

        if (lead)
        {
            if (_options.FlushMode == StoreFlushMode.Fsync)
            {
                // An fsync takes milliseconds: write on a pool thread so that this caller, and any appends it issues before
                // awaiting, join the batch instead of each paying for their own fsync.
                ThreadPool.UnsafeQueueUserWorkItem(static store => store.FlushLoop(leader: false), this, preferLocal: false);
            }
            else
            {
                // write(2) into the page cache takes microseconds: cheaper to do it here than to hop threads.
                FlushLoop(leader: true);
            }
        }

        // Once queued the append cannot be withdrawn, so the token is not passed on: the caller learns the outcome.
        await completion.ConfigureAwait(false);
        return sequence;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        while (true)
        {
            lock (_appendLock)
            {
                _closed = true;
                if (!_flushing)
                {
                    break;
                }
            }

            await Task.Delay(1).ConfigureAwait(false);
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await _maintenance.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        foreach (EndpointQueue queue in _queues.Values)
        {
            queue.Close();
        }

        try
        {
            RunMaintenance();
        }
        finally
        {
            CloseFiles();
            _stopping.Dispose();
            _kick.Dispose();
        }
    }

    internal EndpointQueue GetOrAddQueue(string endpointId) =>
        _queues.TryGetValue(endpointId, out EndpointQueue? queue) ? queue : _queues.GetOrAdd(endpointId, _queueFactory, this);

    /// <summary>The message of an entry: from the recent-message cache, else read back from its segment.</summary>
    internal HubMessage LoadMessage(StoredMessage stored)
    {
        HubMessage? cached = stored.Cached;
        if (cached is not null)
        {
            return cached;
        }

        Segment segment = stored.Segment!;
        if (!segment.TryAcquire())
        {
            throw new MessageStoreException($"Segment {segment.Path} was deleted while entry {stored.Sequence} was still referenced.");
        }

        byte[] buffer = ArrayPool<byte>.Shared.Rent(stored.FrameLength);
        try
        {
            Span<byte> frame = buffer.AsSpan(0, stored.FrameLength);
            int read = ReadExactly(segment, frame, stored.Offset);
            int payloadLength = BinaryPrimitives.ReadInt32LittleEndian(frame);
            if (read != frame.Length || payloadLength != frame.Length - RecordCodec.FrameHeaderSize
                || BinaryPrimitives.ReadUInt32LittleEndian(frame[4..]) != Crc32C.Compute(frame[RecordCodec.FrameHeaderSize..]))
            {
                throw new MessageStoreCorruptException($"Record {stored.Sequence} in {segment.Path} at offset {stored.Offset} does not verify.");
            }

            return RecordCodec.ReadMessage(frame[RecordCodec.FrameHeaderSize..]);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            segment.Release();
        }
    }

    /// <summary>An endpoint entry of <paramref name="segment"/> was acknowledged or expired.</summary>
    internal void ReleaseEntry(Segment segment)
    {
        if (Interlocked.Decrement(ref segment.LiveEntries) == 0)
        {
            TryRetire(segment);
        }
    }

    internal void OnAcknowledged(bool checkpointAdvanced)
    {
        if (checkpointAdvanced)
        {
            Interlocked.Increment(ref _checkpointVersion);
        }

        if (Interlocked.Increment(ref _acksSinceCheckpoint) == _options.CheckpointEveryAcks)
        {
            Kick();
        }
    }

    internal void OnExpired(string endpointId) => _metrics.Expired(endpointId);

    /// <summary>Runs the expiry sweep and writes the checkpoint file if it changed (normally done by the background loop).</summary>
    internal void RunMaintenance()
    {
        long now = UtcNowTicks;
        foreach (KeyValuePair<string, EndpointQueue> pair in _queues)
        {
            if (pair.Value.SweepExpired(now))
            {
                Interlocked.Increment(ref _checkpointVersion);
            }
        }

        lock (_checkpointLock)
        {
            Interlocked.Exchange(ref _acksSinceCheckpoint, 0);
            long version = Volatile.Read(ref _checkpointVersion);
            if (version == _writtenCheckpointVersion)
            {
                return;
            }

            var snapshot = new List<(string, long[])>(_queues.Count);
            foreach (KeyValuePair<string, EndpointQueue> pair in _queues)
            {
                var checkpoints = new long[EndpointQueue.PriorityCount];
                pair.Value.CopyCheckpoints(checkpoints);
                snapshot.Add((pair.Key, checkpoints));
            }

            CheckpointFile.Write(_directory, snapshot, _options.FlushMode == StoreFlushMode.Fsync);
            _writtenCheckpointVersion = version;
        }
    }

    private static void Validate(MessageStoreOptions options)
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(options.Directory))
        {
            problems.Add("Directory is required.");
        }

        if (options.SegmentBytes < 4096)
        {
            problems.Add("SegmentBytes must be at least 4096.");
        }

        if (options.MaxMessageBytes <= 0 || options.MaxMessageBytes > RecordCodec.MaxPayloadBytes / 2)
        {
            problems.Add($"MaxMessageBytes must be between 1 and {RecordCodec.MaxPayloadBytes / 2}.");
        }

        if (options.CheckpointInterval <= TimeSpan.Zero)
        {
            problems.Add("CheckpointInterval must be positive.");
        }

        if (options.CheckpointEveryAcks <= 0)
        {
            problems.Add("CheckpointEveryAcks must be positive.");
        }

        if (options.CacheBytes < 0)
        {
            problems.Add("CacheBytes must not be negative.");
        }

        if (options.TimeProvider is null)
        {
            problems.Add("TimeProvider is required.");
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException("Invalid message store options: " + string.Join(" ", problems), nameof(options));
        }
    }

    private static int ReadExactly(Segment segment, Span<byte> destination, long offset)
    {
        int total = 0;
        while (total < destination.Length)
        {
            int read = RandomAccess.Read(segment.Handle, destination[total..], offset + total);
            if (read == 0)
            {
                break;
            }

            total += read;
        }

        return total;
    }

    /// <summary>
    /// Writes queued batches. The appender that found no write in progress (<paramref name="leader"/>) writes one batch,
    /// which holds its own record, and hands any further work to a pool thread, so that a steady stream from other
    /// appenders never holds its caller hostage.
    /// </summary>
    private void FlushLoop(bool leader)
    {
        while (true)
        {
            Batch batch;
            lock (_appendLock)
            {
                if (_filling.Count == 0)
                {
                    _flushing = false;
                    return;
                }

                batch = _filling;
                _filling = _spare!;
                _spare = null;
            }

            try
            {
                WriteBatch(batch);
                batch.Completion.TrySetResult(true);
            }
            catch (Exception ex)
            {
                StoreLog.AppendFailed(_logger, batch.Count, _active.Path, ex);
                batch.Completion.TrySetException(new MessageStoreException("Writing to the message store failed.", ex));
            }

            batch.Reset(MaxRetainedBatchBytes);
            _spare = batch;
            if (leader)
            {
                lock (_appendLock)
                {
                    if (_filling.Count == 0)
                    {
                        _flushing = false;
                        return;
                    }
                }

                ThreadPool.UnsafeQueueUserWorkItem(static store => store.FlushLoop(leader: false), this, preferLocal: false);
                return;
            }
        }
    }

    private void WriteBatch(Batch batch)
    {
        Segment segment = _active;
        if (segment.Length >= _options.SegmentBytes && segment.Length > Segment.HeaderSize)
        {
            segment = Roll(batch.FirstSequence);
        }

        long offset = segment.Length;
        RandomAccess.Write(segment.Handle, batch.Bytes, offset);
        if (_options.FlushMode == StoreFlushMode.Fsync)
        {
            RandomAccess.FlushToDisk(segment.Handle);
        }

        segment.Length = offset + batch.Length;
        Interlocked.Increment(ref _batchesWritten);

        long entries = 0;
        List<PendingAppend> items = batch.Items;
        for (int i = 0; i < items.Count; i++)
        {
            IReadOnlyList<EnqueueTarget> targets = items[i].Targets;
            for (int t = 0; t < targets.Count; t++)
            {
                if (!IsRepeated(targets, t))
                {
                    entries++;
                }
            }
        }

        // Count the entries before any becomes visible, so an early acknowledgement cannot retire the segment.
        Interlocked.Add(ref segment.LiveEntries, entries);
        for (int i = 0; i < items.Count; i++)
        {
            PendingAppend item = items[i];
            StoredMessage stored = item.Stored;
            stored.Segment = segment;
            stored.Offset = offset + batch.Offsets[i];
            _cache.Add(stored, item.Message, item.MessageBytes);
            IReadOnlyList<EnqueueTarget> targets = item.Targets;
            for (int t = 0; t < targets.Count; t++)
            {
                if (IsRepeated(targets, t))
                {
                    continue;
                }

                EnqueueTarget target = targets[t];
                GetOrAddQueue(target.EndpointId).Enqueue(stored, target.Priority, RecordCodec.ExpiryTicks(target));
            }
        }

        _metrics.Appended(items.Count);
    }

    private Segment Roll(long firstSequence)
    {
        Segment next = CreateSegment(firstSequence);
        Segment previous;
        lock (_segmentsLock)
        {
            previous = _active;
            previous.Sealed = true;
            _segments.Add(next);
            _active = next;
        }

        TryRetire(previous);
        return next;
    }

    private Segment CreateSegment(long firstSequence)
    {
        string path = Path.Combine(_directory, Segment.FileName(firstSequence));
        SafeFileHandleHolder holder = OpenSegmentHandle(path, FileMode.Create);
        Span<byte> header = stackalloc byte[Segment.HeaderSize];
        Segment.WriteHeader(header, firstSequence);
        RandomAccess.Write(holder.Handle, header, 0);
        if (_options.FlushMode == StoreFlushMode.Fsync)
        {
            RandomAccess.FlushToDisk(holder.Handle);
            DirectorySync.Flush(_directory);
        }

        return new Segment(path, firstSequence, holder.Handle, Segment.HeaderSize);
    }

    private static SafeFileHandleHolder OpenSegmentHandle(string path, FileMode mode) =>
        new(File.OpenHandle(path, mode, FileAccess.ReadWrite, FileShare.Read | FileShare.Delete));

    private void TryRetire(Segment segment)
    {
        lock (_segmentsLock)
        {
            if (!segment.Sealed || segment.Deleted || Interlocked.Read(ref segment.LiveEntries) != 0)
            {
                return;
            }

            segment.Deleted = true;
            _segments.Remove(segment);
        }

        try
        {
            File.Delete(segment.Path);
            StoreLog.SegmentDeleted(_logger, segment.Path);
        }
        catch (IOException ex)
        {
            StoreLog.SegmentDeleteFailed(_logger, segment.Path, ex);
        }
        catch (UnauthorizedAccessException ex)
        {
            StoreLog.SegmentDeleteFailed(_logger, segment.Path, ex);
        }

        segment.Release();
    }

    private void Kick()
    {
        if (Interlocked.Exchange(ref _kickPending, 1) == 0)
        {
            try
            {
                _kick.Release();
            }
            catch (ObjectDisposedException)
            {
                // An acknowledgement that raced with DisposeAsync: the final checkpoint was written (or is being written) there.
            }
        }
    }

    private async Task MaintenanceLoopAsync()
    {
        CancellationToken stopping = _stopping.Token;
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await _kick.WaitAsync(_options.CheckpointInterval, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            Interlocked.Exchange(ref _kickPending, 0);
            try
            {
                RunMaintenance();
            }
            catch (Exception ex)
            {
                StoreLog.MaintenanceFailed(_logger, ex);
                _metrics.MaintenanceFailed();
            }
        }
    }

    private IEnumerable<Measurement<long>> ObservePending()
    {
        var measurements = new List<Measurement<long>>(_queues.Count);
        foreach (KeyValuePair<string, EndpointQueue> pair in _queues)
        {
            measurements.Add(new Measurement<long>(pair.Value.PendingCount, new KeyValuePair<string, object?>("endpoint", pair.Key)));
        }

        return measurements;
    }

    private void CloseFiles()
    {
        lock (_segmentsLock)
        {
            foreach (Segment segment in _segments)
            {
                if (!segment.Deleted)
                {
                    segment.Deleted = true;
                    segment.Release();
                }
            }

            _segments.Clear();
        }

        _lockFile.Dispose();
        _metrics.Dispose();
    }

    private void Recover()
    {
        long started = Stopwatch.GetTimestamp();
        File.Delete(Path.Combine(_directory, CheckpointFile.TempFileName));

        long maxCheckpoint = 0;
        Dictionary<string, long[]>? checkpoints = CheckpointFile.TryRead(_directory, out string? problem);
        if (checkpoints is null)
        {
            StoreLog.CheckpointUnreadable(_logger, Path.Combine(_directory, CheckpointFile.FileName), problem ?? "unknown");
            CountCorrupt();
        }
        else
        {
            foreach (KeyValuePair<string, long[]> pair in checkpoints)
            {
                GetOrAddQueue(pair.Key).RestoreCheckpoints(pair.Value);
                foreach (long value in pair.Value)
                {
                    maxCheckpoint = Math.Max(maxCheckpoint, value);
                }
            }
        }

        var files = new List<(long First, string Path)>();
        foreach (string path in Directory.EnumerateFiles(_directory, "*" + Segment.Extension))
        {
            string name = Path.GetFileNameWithoutExtension(path);
            if (name.Length == 20 && long.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out long first))
            {
                files.Add((first, path));
            }
        }

        files.Sort(static (a, b) => a.First.CompareTo(b.First));

        long maxSequence = 0;
        long entries = 0;
        var targets = new List<RecoveredTarget>(4);
        for (int i = 0; i < files.Count; i++)
        {
            Segment segment = RecoverSegment(files[i].Path, files[i].First, targets, ref maxSequence, ref entries);
            _segments.Add(segment);
        }

        long lastFirst = files.Count > 0 ? files[^1].First : 0;
        _nextSequence = Math.Max(Math.Max(maxSequence, maxCheckpoint), lastFirst - 1) + 1;

        if (_segments.Count == 0)
        {
            _segments.Add(CreateSegment(_nextSequence));
        }

        _active = _segments[^1];
        foreach (Segment segment in _segments.ToArray())
        {
            if (segment != _active)
            {
                segment.Sealed = true;
                TryRetire(segment);
            }
        }

        StoreLog.Opened(_logger, _directory, _segments.Count, entries, _nextSequence, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    private Segment RecoverSegment(string path, long firstSequence, List<RecoveredTarget> targets, ref long maxSequence, ref long entries)
    {
        SafeFileHandleHolder holder = OpenSegmentHandle(path, FileMode.Open);
        var segment = new Segment(path, firstSequence, holder.Handle, 0);
        long fileLength = RandomAccess.GetLength(holder.Handle);
        Span<byte> header = stackalloc byte[Segment.HeaderSize];
        int headerRead = fileLength >= Segment.HeaderSize ? ReadExactly(segment, header, 0) : 0;
        if (headerRead < Segment.HeaderSize || !Segment.IsValidHeader(header, firstSequence))
        {
            // A segment whose header never made it to disk holds nothing that was acknowledged to an appender.
            if (fileLength > 0)
            {
                StoreLog.TruncatingSegment(_logger, path, 0, "bad segment header");
                CountCorrupt();
            }

            Segment.WriteHeader(header, firstSequence);
            RandomAccess.SetLength(holder.Handle, 0);
            RandomAccess.Write(holder.Handle, header, 0);
            segment.Length = Segment.HeaderSize;
            return segment;
        }

        long offset = Segment.HeaderSize;

        // Sequential scan through a 1 MiB window: one pread per window rather than two per record.
        var window = new ReadWindow(segment, fileLength);
        try
        {
            while (offset < fileLength)
            {
                string? reason = null;
                int payloadLength = 0;
                ReadOnlySpan<byte> frame = window.Get(offset, RecordCodec.FrameHeaderSize);
                if (frame.Length < RecordCodec.FrameHeaderSize)
                {
                    reason = "partial frame header";
                }
                else
                {
                    payloadLength = BinaryPrimitives.ReadInt32LittleEndian(frame);
                    if (payloadLength <= 0 || payloadLength > RecordCodec.MaxPayloadBytes)
                    {
                        reason = "invalid length";
                    }
                    else if (payloadLength > fileLength - offset - RecordCodec.FrameHeaderSize)
                    {
                        reason = "partial record";
                    }
                    else
                    {
                        frame = window.Get(offset, RecordCodec.FrameHeaderSize + payloadLength);
                        if (frame.Length < RecordCodec.FrameHeaderSize + payloadLength)
                        {
                            reason = "partial record";
                        }
                    }
                }

                if (reason is null)
                {
                    ReadOnlySpan<byte> payload = frame.Slice(RecordCodec.FrameHeaderSize, payloadLength);
                    if (BinaryPrimitives.ReadUInt32LittleEndian(frame[4..]) != Crc32C.Compute(payload))
                    {
                        reason = "checksum mismatch";
                    }
                    else
                    {
                        targets.Clear();
                        long sequence;
                        try
                        {
                            sequence = RecordCodec.ReadTargets(payload, targets);
                        }
                        catch (MessageStoreCorruptException ex)
                        {
                            sequence = -1;
                            reason = ex.Message;
                        }

                        if (reason is null && (sequence <= maxSequence || sequence < firstSequence))
                        {
                            reason = "sequence out of order";
                        }

                        if (reason is null)
                        {
                            maxSequence = sequence;
                            IndexRecovered(segment, sequence, RecordCodec.FrameHeaderSize + payloadLength, offset, targets, ref entries);
                        }
                    }
                }

                if (reason is not null)
                {
                    StoreLog.TruncatingSegment(_logger, path, offset, reason);
                    CountCorrupt();
                    RandomAccess.SetLength(holder.Handle, offset);
                    break;
                }

                offset += RecordCodec.FrameHeaderSize + payloadLength;
            }
        }
        finally
        {
            window.Dispose();
        }

        segment.Length = offset;
        return segment;
    }

    private void IndexRecovered(Segment segment, long sequence, int frameLength, long offset, List<RecoveredTarget> targets, ref long entries)
    {
        StoredMessage? stored = null;
        for (int i = 0; i < targets.Count; i++)
        {
            RecoveredTarget target = targets[i];
            EndpointQueue queue = GetOrAddQueue(target.EndpointId);
            if (queue.IsCheckpointed(sequence, target.Priority) || IsRepeated(targets, i))
            {
                continue;
            }

            stored ??= new StoredMessage(sequence, frameLength) { Segment = segment, Offset = offset };
            segment.LiveEntries++;
            entries++;
            queue.Enqueue(stored, target.Priority, target.ExpiresTicks);
        }
    }

    // Two routes to the same endpoint with the same priority enqueue the message once: an entry is identified by
    // (endpoint, priority, sequence), so a second copy could never be acknowledged separately.
    private static bool IsRepeated(IReadOnlyList<EnqueueTarget> targets, int index)
    {
        EnqueueTarget target = targets[index];
        for (int i = 0; i < index; i++)
        {
            if (targets[i].Priority == target.Priority && string.Equals(targets[i].EndpointId, target.EndpointId, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsRepeated(List<RecoveredTarget> targets, int index)
    {
        RecoveredTarget target = targets[index];
        for (int i = 0; i < index; i++)
        {
            if (targets[i].Priority == target.Priority && string.Equals(targets[i].EndpointId, target.EndpointId, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private void CountCorrupt()
    {
        Interlocked.Increment(ref _corruptRecords);
        _metrics.Corrupt();
    }

    /// <summary>A read-ahead window over a segment for the recovery scan (pooled buffer, returned on Dispose).</summary>
    private sealed class ReadWindow(Segment segment, long fileLength) : IDisposable
    {
        private byte[] _buffer = ArrayPool<byte>.Shared.Rent(1024 * 1024);
        private long _start;
        private int _length;

        /// <summary>The bytes at <paramref name="offset"/>: <paramref name="count"/> of them, or fewer where the file ends.</summary>
        public ReadOnlySpan<byte> Get(long offset, int count)
        {
            if (offset >= _start && offset + count <= _start + _length)
            {
                return _buffer.AsSpan((int)(offset - _start), count);
            }

            if (count > _buffer.Length)
            {
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = ArrayPool<byte>.Shared.Rent(count);
            }

            int want = (int)Math.Min(_buffer.Length, fileLength - offset);
            _length = ReadExactly(segment, _buffer.AsSpan(0, want), offset);
            _start = offset;
            return _buffer.AsSpan(0, Math.Min(count, _length));
        }

        public void Dispose() => ArrayPool<byte>.Shared.Return(_buffer);
    }

    private readonly record struct SafeFileHandleHolder(Microsoft.Win32.SafeHandles.SafeFileHandle Handle);

    private readonly record struct PendingAppend(StoredMessage Stored, HubMessage Message, IReadOnlyList<EnqueueTarget> Targets, long MessageBytes);

    /// <summary>Frames queued for one write, in sequence order.</summary>
    private sealed class Batch
    {
        private byte[] _buffer = ArrayPool<byte>.Shared.Rent(InitialBatchBytes);

        public List<PendingAppend> Items { get; } = [];

        public List<int> Offsets { get; } = [];

        public int Length { get; private set; }

        public int Count => Items.Count;

        public long FirstSequence => Items[0].Stored.Sequence;

        public ReadOnlySpan<byte> Bytes => _buffer.AsSpan(0, Length);

        public TaskCompletionSource<bool> Completion { get; private set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Add(ReadOnlySpan<byte> frame, PendingAppend item)
        {
            if (_buffer.Length - Length < frame.Length)
            {
                byte[] grown = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, Length + frame.Length));
                _buffer.AsSpan(0, Length).CopyTo(grown);
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = grown;
            }

            frame.CopyTo(_buffer.AsSpan(Length));
            Offsets.Add(Length);
            Items.Add(item);
            Length += frame.Length;
        }

        public void Reset(int maxRetainedBytes)
        {
            Items.Clear();
            Offsets.Clear();
            Length = 0;
            Completion = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (_buffer.Length > maxRetainedBytes)
            {
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = ArrayPool<byte>.Shared.Rent(InitialBatchBytes);
            }
        }
    }

    /// <summary>Keeps the most recently appended messages reachable (bounded by bytes) so readers that keep up never touch the disk.</summary>
    private sealed class MessageCache(long capacityBytes)
    {
        private readonly Queue<(StoredMessage Stored, long Bytes)> _order = new();
        private long _bytes;

        public void Add(StoredMessage stored, HubMessage message, long bytes)
        {
            if (capacityBytes <= 0)
            {
                return;
            }

            stored.Cached = message;
            _order.Enqueue((stored, bytes));
            _bytes += bytes;
            while (_bytes > capacityBytes && _order.TryDequeue(out (StoredMessage Stored, long Bytes) oldest))
            {
                oldest.Stored.Cached = null;
                _bytes -= oldest.Bytes;
            }
        }
    }
}
