using System.Diagnostics.Metrics;
using EdgeHub.Messaging;
using EdgeHub.Storage;
using static EdgeHub.Tests.Storage.StoreTestContext;
using EdgeKit.Protocol;

namespace EdgeHub.Tests.Storage;

[Trait("Category", "Unit")]
public sealed class MessageStoreTests : IDisposable
{
    private const string Endpoint = "/modules/scorer/inputs/telemetry";
    private readonly StoreTestContext _ctx = new();

    public void Dispose() => _ctx.Dispose();

    [Fact]
    public async Task Read_AfterAppends_ReturnsEntriesInAppendOrderWithIncreasingSequences()
    {
        await using MessageStore store = _ctx.Open();
        var sequences = new List<long>();
        for (int i = 0; i < 5; i++)
        {
            sequences.Add(await store.AppendAsync(Message("m" + i), [To(Endpoint)], CancellationToken.None));
        }

        List<QueueEntry> entries = await ReadAsync(store.GetQueue(Endpoint), 5);

        Assert.Equal(["m0", "m1", "m2", "m3", "m4"], entries.ConvertAll(Text));
        Assert.Equal(sequences, entries.ConvertAll(e => e.Sequence));
        Assert.True(sequences[0] > 0);
        Assert.All(sequences.Zip(sequences.Skip(1)), pair => Assert.True(pair.Second > pair.First));
    }

    [Theory]
    [InlineData(16L * 1024 * 1024)]
    [InlineData(0L)]
    public async Task Read_FromCacheOrSegment_ReturnsBodyPropertiesSystemPropertiesAndSource(long cacheBytes)
    {
        await using MessageStore store = _ctx.Open(o => o.CacheBytes = cacheBytes);
        var message = new HubMessage(
            new byte[] { 0, 1, 2, 255 },
            new Dictionary<string, string> { ["a"] = "1", ["ünïcode"] = "wert ✓", ["empty"] = "" },
            new Dictionary<string, string> { [SystemPropertyNames.MessageId] = "mid-1", [SystemPropertyNames.CorrelationId] = "cid" })
        {
            Source = MessageSource.TwinChange("leaf", null),
        };
        var expires = new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.Zero);

        await store.AppendAsync(message, [new EnqueueTarget(Endpoint, 3, expires)], CancellationToken.None);
        QueueEntry entry = Assert.Single(await ReadAsync(store.GetQueue(Endpoint), 1));

        Assert.Equal(message.Body.ToArray(), entry.Message.Body.ToArray());
        Assert.Equal(message.Properties.OrderBy(p => p.Key), entry.Message.Properties.OrderBy(p => p.Key));
        Assert.Equal(message.SystemProperties.OrderBy(p => p.Key), entry.Message.SystemProperties.OrderBy(p => p.Key));
        Assert.Equal(message.Source, entry.Message.Source);
        Assert.Equal(3, entry.Priority);
        Assert.Equal(expires, entry.ExpiresAt);
    }

    [Fact]
    public async Task Read_WithMixedPriorities_DeliversHighestPriorityFirstAndFifoWithinPriority()
    {
        await using MessageStore store = _ctx.Open();
        (string Text, int Priority)[] appends = [("low1", 5), ("high1", 0), ("mid1", 2), ("low2", 5), ("high2", 0), ("mid2", 2)];
        foreach ((string text, int priority) in appends)
        {
            await store.AppendAsync(Message(text), [To(Endpoint, priority)], CancellationToken.None);
        }

        List<QueueEntry> entries = await ReadAsync(store.GetQueue(Endpoint), 6);

        Assert.Equal(["high1", "high2", "mid1", "mid2", "low1", "low2"], entries.ConvertAll(Text));
    }

    [Fact]
    public async Task Read_HigherPriorityAppendedAfterPartialRead_IsDeliveredBeforeRemainingLowerPriority()
    {
        await using MessageStore store = _ctx.Open();
        IEndpointQueue queue = store.GetQueue(Endpoint);
        await store.AppendAsync(Message("low1"), [To(Endpoint, 9)], CancellationToken.None);
        await store.AppendAsync(Message("low2"), [To(Endpoint, 9)], CancellationToken.None);
        Assert.Equal(["low1"], (await ReadAsync(queue, 1)).ConvertAll(Text));

        await store.AppendAsync(Message("urgent"), [To(Endpoint, 0)], CancellationToken.None);

        Assert.Equal(["urgent", "low2"], (await ReadAsync(queue, 2)).ConvertAll(Text));
    }

    [Fact]
    public async Task Append_ToSeveralEndpoints_GivesEachEndpointItsOwnQueue()
    {
        await using MessageStore store = _ctx.Open();
        await store.AppendAsync(Message("both"), [To("$upstream", 1), To(Endpoint, 4)], CancellationToken.None);
        await store.AppendAsync(Message("up-only"), [To("$upstream", 1)], CancellationToken.None);

        Assert.Equal(["both", "up-only"], (await ReadAsync(store.GetQueue("$upstream"), 2)).ConvertAll(Text));
        QueueEntry single = Assert.Single(await ReadAsync(store.GetQueue(Endpoint), 1));
        Assert.Equal(4, single.Priority);
        Assert.Contains("$upstream", store.Endpoints);
        Assert.Contains(Endpoint, store.Endpoints);
    }

    [Fact]
    public async Task Append_WithTheSameEndpointAndPriorityTwice_EnqueuesOnceAndSurvivesReopen()
    {
        await using (MessageStore store = _ctx.Open())
        {
            await store.AppendAsync(Message("dup"), [To(Endpoint, 2), To(Endpoint, 2), To(Endpoint, 5)], CancellationToken.None);
            IEndpointQueue queue = store.GetQueue(Endpoint);
            Assert.Equal(2, queue.PendingCount);
            Assert.Equal([2, 5], (await ReadAsync(queue, 2)).ConvertAll(e => e.Priority));
        }

        await using MessageStore reopened = _ctx.Open();
        Assert.Equal(2, reopened.GetQueue(Endpoint).PendingCount);
    }

    [Fact]
    public async Task Read_AfterTtlPassed_DropsEntryAndCountsItExpired()
    {
        await using MessageStore store = _ctx.Open();
        IEndpointQueue queue = store.GetQueue(Endpoint);
        await store.AppendAsync(Message("short"), [To(Endpoint, 0, Start.AddSeconds(10))], CancellationToken.None);
        await store.AppendAsync(Message("long"), [To(Endpoint, 0, Start.AddHours(1))], CancellationToken.None);
        Assert.Equal(2, queue.PendingCount);

        _ctx.Clock.Advance(TimeSpan.FromSeconds(10));
        List<QueueEntry> entries = await ReadAsync(queue, 1);

        Assert.Equal(["long"], entries.ConvertAll(Text));
        Assert.Equal(1, queue.ExpiredCount);
        Assert.Equal(1, queue.PendingCount);
    }

    [Fact]
    public async Task Append_WithDefaultExpiry_NeverExpires()
    {
        await using MessageStore store = _ctx.Open();
        await store.AppendAsync(Message("forever"), [new EnqueueTarget(Endpoint, 0, default)], CancellationToken.None);
        _ctx.Clock.Advance(TimeSpan.FromDays(3650));

        QueueEntry entry = Assert.Single(await ReadAsync(store.GetQueue(Endpoint), 1));

        Assert.Equal(DateTimeOffset.MaxValue, entry.ExpiresAt);
    }

    [Fact]
    public async Task ReadAsync_WhenOnlyExpiredEntries_WaitsInsteadOfReturningThem()
    {
        await using MessageStore store = _ctx.Open();
        IEndpointQueue queue = store.GetQueue(Endpoint);
        await store.AppendAsync(Message("stale"), [To(Endpoint, 0, Start.AddSeconds(1))], CancellationToken.None);
        _ctx.Clock.Advance(TimeSpan.FromMinutes(1));

        using var cts = new CancellationTokenSource(200);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await queue.ReadAsync([], 10, cts.Token));
        Assert.Equal(1, queue.ExpiredCount);
        Assert.Equal(0, queue.PendingCount);
    }

    [Fact]
    public async Task ReadAsync_WhenEmpty_CompletesWhenAMessageIsAppended()
    {
        await using MessageStore store = _ctx.Open();
        IEndpointQueue queue = store.GetQueue(Endpoint);
        var into = new List<QueueEntry>();
        ValueTask<int> read = queue.ReadAsync(into, 10, CancellationToken.None);
        await Task.Delay(50);
        Assert.False(read.IsCompleted);

        await store.AppendAsync(Message("wake"), [To(Endpoint)], CancellationToken.None);

        Assert.Equal(1, await read.AsTask().WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal("wake", Text(into[0]));
    }

    [Fact]
    public async Task ReadAsync_WhenCancelled_ThrowsOperationCanceled()
    {
        await using MessageStore store = _ctx.Open();
        using var cts = new CancellationTokenSource();
        ValueTask<int> read = store.GetQueue(Endpoint).ReadAsync([], 10, cts.Token);

        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await read);
    }

    [Fact]
    public async Task Acknowledge_OutOfOrder_CheckpointAdvancesOnlyOverContiguousPrefix()
    {
        await using MessageStore store = _ctx.Open();
        var queue = (EndpointQueue)store.GetQueue(Endpoint);
        var seq = new long[4];
        for (int i = 0; i < 4; i++)
        {
            seq[i] = await store.AppendAsync(Message("m" + i), [To(Endpoint, 1)], CancellationToken.None);
        }

        await ReadAsync(queue, 4);
        queue.Acknowledge(seq[1], 1);
        queue.Acknowledge(seq[2], 1);
        Assert.Equal(0, queue.GetCheckpoint(1));
        Assert.Equal(2, queue.PendingCount);

        queue.Acknowledge(seq[0], 1);
        Assert.Equal(seq[2], queue.GetCheckpoint(1));

        queue.Acknowledge(seq[0], 1);
        queue.Acknowledge(seq[3], 1);
        Assert.Equal(seq[3], queue.GetCheckpoint(1));
        Assert.Equal(0, queue.PendingCount);
    }

    [Fact]
    public async Task Rewind_RedeliversUnacknowledgedEntriesInOrder()
    {
        await using MessageStore store = _ctx.Open();
        IEndpointQueue queue = store.GetQueue(Endpoint);
        for (int i = 0; i < 5; i++)
        {
            await store.AppendAsync(Message("m" + i), [To(Endpoint, i % 2)], CancellationToken.None);
        }

        List<QueueEntry> first = await ReadAsync(queue, 5);
        Assert.Equal(["m0", "m2", "m4", "m1", "m3"], first.ConvertAll(Text));
        queue.Acknowledge(first[1].Sequence, first[1].Priority); // m2
        queue.Acknowledge(first[3].Sequence, first[3].Priority); // m1

        queue.Rewind();
        List<QueueEntry> again = await ReadAsync(queue, 3);

        Assert.Equal(["m0", "m4", "m3"], again.ConvertAll(Text));
    }

    [Fact]
    public async Task Rewind_WakesAWaitingReader()
    {
        await using MessageStore store = _ctx.Open();
        IEndpointQueue queue = store.GetQueue(Endpoint);
        await store.AppendAsync(Message("inflight"), [To(Endpoint)], CancellationToken.None);
        await ReadAsync(queue, 1);
        var into = new List<QueueEntry>();
        ValueTask<int> read = queue.ReadAsync(into, 10, CancellationToken.None);
        await Task.Delay(50);
        Assert.False(read.IsCompleted);

        queue.Rewind();

        Assert.Equal(1, await read.AsTask().WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal("inflight", Text(into[0]));
    }

    [Fact]
    public async Task Append_OverMaxMessageBytes_ThrowsMessageTooLargeWithSizes()
    {
        await using MessageStore store = _ctx.Open(o => o.MaxMessageBytes = 1000);
        var message = new HubMessage(new byte[1001], new Dictionary<string, string>(), new Dictionary<string, string>());

        MessageTooLargeException ex = await Assert.ThrowsAsync<MessageTooLargeException>(
            async () => await store.AppendAsync(message, [To(Endpoint)], CancellationToken.None));

        Assert.Equal(1000, ex.Limit);
        Assert.Equal(1001, ex.Size);
        Assert.Equal(0, store.GetQueue(Endpoint).PendingCount);
    }

    [Fact]
    public async Task Append_WithNoTargets_ReturnsASequenceAndWritesNothing()
    {
        await using MessageStore store = _ctx.Open();
        long before = new FileInfo(_ctx.SegmentFiles()[^1]).Length;

        long first = await store.AppendAsync(Message("nowhere"), [], CancellationToken.None);
        long second = await store.AppendAsync(Message("somewhere"), [To(Endpoint)], CancellationToken.None);

        Assert.True(second > first);
        Assert.Equal(1, store.BatchesWritten);
        Assert.True(new FileInfo(_ctx.SegmentFiles()[^1]).Length > before);
    }

    [Fact]
    public async Task Append_WithPriorityOutOfRange_ThrowsArgumentOutOfRange()
    {
        await using MessageStore store = _ctx.Open();

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(
            async () => await store.AppendAsync(Message("x"), [To(Endpoint, 10)], CancellationToken.None));
    }

    [Fact]
    public async Task Append_AfterDispose_ThrowsObjectDisposed()
    {
        MessageStore store = _ctx.Open();
        await store.DisposeAsync();
        await store.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(
            async () => await store.AppendAsync(Message("x"), [To(Endpoint)], CancellationToken.None));
    }

    [Fact]
    public async Task Open_WhenFolderIsUsedByAnotherStore_Throws()
    {
        await using MessageStore store = _ctx.Open();

        Assert.Throws<MessageStoreException>(() => _ctx.Open());
    }

    [Fact]
    public void Open_WithInvalidOptions_ListsEveryProblem()
    {
        var options = new MessageStoreOptions { Directory = "", SegmentBytes = 10, CheckpointEveryAcks = 0 };

        ArgumentException ex = Assert.Throws<ArgumentException>(() => MessageStore.Open(options));

        Assert.Contains("Directory", ex.Message);
        Assert.Contains("SegmentBytes", ex.Message);
        Assert.Contains("CheckpointEveryAcks", ex.Message);
    }

    [Fact]
    public async Task Segments_WhenEveryEntryAcknowledged_AreDeletedExceptTheActiveOne()
    {
        await using MessageStore store = _ctx.Open(o => o.SegmentBytes = 4096);
        IEndpointQueue queue = store.GetQueue(Endpoint);
        for (int i = 0; i < 40; i++)
        {
            await store.AppendAsync(Message("m" + i, padTo: 1000), [To(Endpoint)], CancellationToken.None);
        }

        Assert.True(_ctx.SegmentFiles().Length >= 8);
        foreach (QueueEntry entry in await ReadAsync(queue, 40))
        {
            queue.Acknowledge(entry.Sequence, entry.Priority);
        }

        Assert.Single(_ctx.SegmentFiles());
        Assert.Equal(1, store.SegmentCount);
    }

    [Fact]
    public async Task Segments_WhileAnotherEndpointHasNotAcknowledged_AreKept()
    {
        await using MessageStore store = _ctx.Open(o => o.SegmentBytes = 4096);
        IEndpointQueue fast = store.GetQueue(Endpoint);
        for (int i = 0; i < 20; i++)
        {
            await store.AppendAsync(Message("m" + i, padTo: 1000), [To(Endpoint), To("$upstream")], CancellationToken.None);
        }

        int before = _ctx.SegmentFiles().Length;
        foreach (QueueEntry entry in await ReadAsync(fast, 20))
        {
            fast.Acknowledge(entry.Sequence, entry.Priority);
        }

        Assert.Equal(before, _ctx.SegmentFiles().Length);
        Assert.Equal(20, (await ReadAsync(store.GetQueue("$upstream"), 20)).Count);
    }

    [Fact]
    public async Task Segments_WhoseEntriesExpiredUnread_AreDeletedByTheSweep()
    {
        await using MessageStore store = _ctx.Open(o => o.SegmentBytes = 4096);
        for (int i = 0; i < 20; i++)
        {
            await store.AppendAsync(Message("m" + i, padTo: 1000), [To(Endpoint, 0, Start.AddMinutes(1))], CancellationToken.None);
        }

        Assert.True(_ctx.SegmentFiles().Length > 2);
        _ctx.Clock.Advance(TimeSpan.FromMinutes(2));

        store.RunMaintenance();

        Assert.Single(_ctx.SegmentFiles());
        Assert.Equal(20, store.GetQueue(Endpoint).ExpiredCount);
    }

    [Fact]
    public async Task ConcurrentAppenders_EveryMessageIsDeliveredOnceInSequenceOrder()
    {
        await using MessageStore store = _ctx.Open(o => o.SegmentBytes = 64 * 1024);
        const int Writers = 8;
        const int PerWriter = 500;
        IEndpointQueue queue = store.GetQueue(Endpoint);
        Task<List<QueueEntry>> reader = ReadAsync(queue, Writers * PerWriter, timeoutMs: 30_000);

        await Task.WhenAll(Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            for (int i = 0; i < PerWriter; i++)
            {
                await store.AppendAsync(Message($"w{w}-{i}", padTo: 200), [To(Endpoint)], CancellationToken.None);
            }
        })));
        List<QueueEntry> entries = await reader;

        Assert.Equal(Writers * PerWriter, entries.Select(Text).Distinct().Count());
        for (int i = 1; i < entries.Count; i++)
        {
            Assert.True(entries[i].Sequence > entries[i - 1].Sequence);
        }

        for (int w = 0; w < Writers; w++)
        {
            // Each writer's own messages keep their order.
            List<string> own = entries.Select(Text).Where(t => t.StartsWith($"w{w}-", StringComparison.Ordinal)).ToList();
            Assert.Equal(Enumerable.Range(0, PerWriter).Select(i => $"w{w}-{i}"), own);
        }
    }

    [Fact]
    public async Task Fsync_Mode_ConcurrentAppendsShareFsyncs()
    {
        await using MessageStore store = _ctx.Open(o => o.FlushMode = StoreFlushMode.Fsync);
        Task<long>[] appends = Enumerable.Range(0, 20).Select(i => store.AppendAsync(Message("f" + i), [To(Endpoint)], CancellationToken.None).AsTask()).ToArray();
        await Task.WhenAll(appends);

        Assert.Equal(20, (await ReadAsync(store.GetQueue(Endpoint), 20)).Count);
        Assert.InRange(store.BatchesWritten, 1, 19);
    }

    [Fact]
    public async Task Fsync_Mode_RollsSegmentsWritesCheckpointsAndReopens()
    {
        await using (MessageStore store = _ctx.Open(o => { o.FlushMode = StoreFlushMode.Fsync; o.SegmentBytes = 4096; }))
        {
            IEndpointQueue queue = store.GetQueue(Endpoint);
            for (int i = 0; i < 10; i++)
            {
                await store.AppendAsync(Message("f" + i, padTo: 1000), [To(Endpoint)], CancellationToken.None);
            }

            List<QueueEntry> read = await ReadAsync(queue, 10);
            queue.Acknowledge(read[0].Sequence, 0);
            store.RunMaintenance();
        }

        await using MessageStore reopened = _ctx.Open(o => o.FlushMode = StoreFlushMode.Fsync);
        Assert.Equal(9, reopened.GetQueue(Endpoint).PendingCount);
    }

    [Fact]
    public async Task Metrics_CountAppendsExpiriesAndObservePending()
    {
        await using MessageStore store = _ctx.Open();
        var totals = new Dictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter == store.Meter)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
        {
            lock (totals)
            {
                totals[instrument.Name] = (instrument is ObservableGauge<long> ? 0 : totals.GetValueOrDefault(instrument.Name)) + value;
            }
        });
        listener.Start();

        await store.AppendAsync(Message("a"), [To(Endpoint, 0, Start.AddSeconds(1))], CancellationToken.None);
        await store.AppendAsync(Message("b"), [To(Endpoint)], CancellationToken.None);
        _ctx.Clock.Advance(TimeSpan.FromSeconds(5));
        await ReadAsync(store.GetQueue(Endpoint), 1);
        listener.RecordObservableInstruments();

        Assert.Equal(2, totals["edge_hub_store_appended_total"]);
        Assert.Equal(1, totals["edge_hub_store_expired_total"]);
        Assert.Equal(1, totals["edge_hub_store_pending"]);
    }
}
