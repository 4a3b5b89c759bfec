using System.Buffers;
using System.Runtime.CompilerServices;
using EdgeHub.Messaging;

namespace EdgeHub.Storage;

/// <summary>
/// The in-memory index of one endpoint: one FIFO lane per priority. Each lane keeps its entries in sequence order
/// from the oldest unacknowledged one; a read cursor per lane marks what has been handed out.
/// Acknowledged and expired entries are removed from the front of a lane, which advances the lane's checkpoint.
/// </summary>
internal sealed class EndpointQueue : IEndpointQueue
{
    public const int PriorityCount = 10;

    // Bounds one read's scratch array; ReadAsync may return fewer than asked.
    private const int MaxBatch = 4096;

    private readonly MessageStore _store;
    private readonly object _lock = new();
    private readonly Lane?[] _lanes = new Lane?[PriorityCount];
    private readonly long[] _ackedThrough = new long[PriorityCount];
    private long _pending;
    private long _expired;
    private TaskCompletionSource<bool>? _waiter;
    private bool _closed;

    public EndpointQueue(MessageStore store, string endpointId)
    {
        _store = store;
        EndpointId = endpointId;
    }

    public string EndpointId { get; }

    public long PendingCount => Volatile.Read(ref _pending);

    public long ExpiredCount => Volatile.Read(ref _expired);

    /// <summary>Sequence through which every entry of a priority is acknowledged or expired (the durable checkpoint).</summary>
    public long GetCheckpoint(int priority)
    {
        lock (_lock)
        {
            return _ackedThrough[priority];
        }
    }

    public void CopyCheckpoints(Span<long> destination)
    {
        lock (_lock)
        {
            _ackedThrough.CopyTo(destination);
        }
    }

    /// <summary>Recovery: sets the checkpoints read from disk before entries are enqueued.</summary>
    public void RestoreCheckpoints(ReadOnlySpan<long> checkpoints)
    {
        lock (_lock)
        {
            checkpoints.CopyTo(_ackedThrough);
        }
    }

    /// <summary>Recovery: true when the entry was acknowledged before the restart.</summary>
    public bool IsCheckpointed(long sequence, int priority) => sequence <= _ackedThrough[priority];

    public void Enqueue(StoredMessage message, int priority, long expiresTicks)
    {
        TaskCompletionSource<bool>? waiter;
        lock (_lock)
        {
            Lane lane = _lanes[priority] ??= new Lane();
            lane.Add(new Entry(message, expiresTicks));
            _pending++;
            waiter = _waiter;
            _waiter = null;
        }

        waiter?.TrySetResult(true);
    }

    public async ValueTask<int> ReadAsync(List<QueueEntry> into, int max, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(into);
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        int batch = Math.Min(max, MaxBatch);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Task wait;
            Taken[] taken = ArrayPool<Taken>.Shared.Rent(batch);
            int count;
            try
            {
                lock (_lock)
                {
                    ObjectDisposedException.ThrowIf(_closed, this);
                    count = TakeLocked(taken, batch, _store.UtcNowTicks);
                    if (count > 0)
                    {
                        wait = Task.CompletedTask;
                    }
                    else
                    {
                        _waiter ??= new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                        wait = _waiter.Task;
                    }
                }

                if (count > 0)
                {
                    // Bodies are materialized outside the lock: a cache hit costs nothing, a miss is a pread served by the page cache.
                    for (int i = 0; i < count; i++)
                    {
                        ref Taken t = ref taken[i];
                        HubMessage message = _store.LoadMessage(t.Message);
                        into.Add(new QueueEntry(t.Message.Sequence, t.Priority, new DateTimeOffset(t.ExpiresTicks, TimeSpan.Zero), message));
                    }

                    return count;
                }
            }
            finally
            {
                Array.Clear(taken, 0, batch);
                ArrayPool<Taken>.Shared.Return(taken);
            }

            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public void Acknowledge(long sequence, int priority)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(priority);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(priority, PriorityCount);
        bool advanced = false;
        lock (_lock)
        {
            Lane? lane = _lanes[priority];
            if (lane is null)
            {
                return;
            }

            int index = lane.IndexOf(sequence);
            if (index < 0)
            {
                // Already removed (acknowledged twice, or expired): acknowledgements are idempotent.
                return;
            }

            ref Entry entry = ref lane.At(index);
            if (entry.State == EntryState.Pending)
            {
                entry.State = EntryState.Acknowledged;
                _pending--;
            }

            if (index == 0)
            {
                advanced = CompactLocked(lane, priority);
            }
        }

        _store.OnAcknowledged(advanced);
    }

    public void Rewind()
    {
        TaskCompletionSource<bool>? waiter = null;
        lock (_lock)
        {
            foreach (Lane? lane in _lanes)
            {
                if (lane is not null)
                {
                    lane.Read = 0;
                }
            }

            if (_pending > 0)
            {
                waiter = _waiter;
                _waiter = null;
            }
        }

        waiter?.TrySetResult(true);
    }

    /// <summary>Drops expired entries at the front of lanes nobody is reading, so that their segments can go.</summary>
    public bool SweepExpired(long nowTicks)
    {
        bool advanced = false;
        lock (_lock)
        {
            for (int p = 0; p < PriorityCount; p++)
            {
                Lane? lane = _lanes[p];
                if (lane is null || lane.Read != 0 || lane.Count == 0)
                {
                    continue;
                }

                int i = 0;
                while (i < lane.Count)
                {
                    ref Entry entry = ref lane.At(i);
                    if (entry.State == EntryState.Pending)
                    {
                        if (entry.ExpiresTicks > nowTicks)
                        {
                            break;
                        }

                        ExpireLocked(ref entry);
                    }

                    i++;
                }

                if (i > 0)
                {
                    advanced |= CompactLocked(lane, p);
                }
            }
        }

        return advanced;
    }

    public void Close()
    {
        TaskCompletionSource<bool>? waiter;
        lock (_lock)
        {
            _closed = true;
            waiter = _waiter;
            _waiter = null;
        }

        waiter?.TrySetException(new ObjectDisposedException(nameof(MessageStore)));
    }

    private int TakeLocked(Taken[] taken, int max, long nowTicks)
    {
        int count = 0;
        for (int p = 0; p < PriorityCount && count < max; p++)
        {
            Lane? lane = _lanes[p];
            if (lane is null)
            {
                continue;
            }

            bool expiredAny = false;
            while (lane.Read < lane.Count && count < max)
            {
                ref Entry entry = ref lane.At(lane.Read);
                lane.Read++;
                if (entry.State != EntryState.Pending)
                {
                    continue;
                }

                if (entry.ExpiresTicks <= nowTicks)
                {
                    ExpireLocked(ref entry);
                    expiredAny = true;
                    continue;
                }

                taken[count++] = new Taken(entry.Message, p, entry.ExpiresTicks);
            }

            if (expiredAny && lane.Count > 0 && lane.At(0).State != EntryState.Pending && CompactLocked(lane, p))
            {
                _store.OnAcknowledged(true);
            }
        }

        return count;
    }

    private void ExpireLocked(ref Entry entry)
    {
        entry.State = EntryState.Expired;
        _pending--;
        _expired++;
        _store.OnExpired(EndpointId);
    }

    /// <summary>Removes acknowledged and expired entries from the front of a lane and advances its checkpoint.</summary>
    private bool CompactLocked(Lane lane, int priority)
    {
        bool advanced = false;
        while (lane.Count > 0)
        {
            ref Entry head = ref lane.At(0);
            if (head.State == EntryState.Pending)
            {
                break;
            }

            StoredMessage message = head.Message;
            _ackedThrough[priority] = message.Sequence;
            advanced = true;
            lane.RemoveHead();
            _store.ReleaseEntry(message.Segment!);
        }

        return advanced;
    }

    private enum EntryState : byte
    {
        Pending,
        Acknowledged,
        Expired,
    }

    private struct Entry
    {
        public readonly StoredMessage Message;
        public readonly long ExpiresTicks;
        public EntryState State;

        public Entry(StoredMessage message, long expiresTicks)
        {
            Message = message;
            ExpiresTicks = expiresTicks;
            State = EntryState.Pending;
        }
    }

    private readonly record struct Taken(StoredMessage Message, int Priority, long ExpiresTicks);

    /// <summary>A ring buffer of entries in sequence order (power-of-two capacity).</summary>
    private sealed class Lane
    {
        private Entry[] _items = new Entry[16];
        private int _head;

        public int Count { get; private set; }

        /// <summary>Entries from the front that have been handed out (the read cursor).</summary>
        public int Read { get; set; }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public ref Entry At(int index) => ref _items[(_head + index) & (_items.Length - 1)];

        public void Add(Entry entry)
        {
            if (Count == _items.Length)
            {
                var grown = new Entry[_items.Length * 2];
                for (int i = 0; i < Count; i++)
                {
                    grown[i] = At(i);
                }

                _items = grown;
                _head = 0;
            }

            _items[(_head + Count) & (_items.Length - 1)] = entry;
            Count++;
        }

        public void RemoveHead()
        {
            _items[_head] = default;
            _head = (_head + 1) & (_items.Length - 1);
            Count--;
            if (Read > 0)
            {
                Read--;
            }

            if (Count == 0 && _items.Length > 1024)
            {
                // Give back the memory of a backlog once it has drained.
                _items = new Entry[16];
                _head = 0;
            }
        }

        public int IndexOf(long sequence)
        {
            int lo = 0;
            int hi = Count - 1;
            while (lo <= hi)
            {
                int mid = (lo + hi) >>> 1;
                long s = At(mid).Message.Sequence;
                if (s == sequence)
                {
                    return mid;
                }

                if (s < sequence)
                {
                    lo = mid + 1;
                }
                else
                {
                    hi = mid - 1;
                }
            }

            return -1;
        }
    }
}
