using EdgeHub.Storage;
using static EdgeHub.Tests.Storage.StoreTestContext;

namespace EdgeHub.Tests.Storage;

[Trait("Category", "Unit")]
public sealed class MessageStoreRecoveryTests : IDisposable
{
    private const string Endpoint = "$upstream";
    private readonly StoreTestContext _ctx = new();

    public void Dispose() => _ctx.Dispose();

    [Fact]
    public async Task Reopen_AfterDispose_ResumesUnacknowledgedEntriesOnly()
    {
        await using (MessageStore store = _ctx.Open())
        {
            IEndpointQueue queue = store.GetQueue(Endpoint);
            for (int i = 0; i < 6; i++)
            {
                await store.AppendAsync(Message("m" + i), [To(Endpoint, i < 3 ? 0 : 1)], CancellationToken.None);
            }

            List<QueueEntry> read = await ReadAsync(queue, 6);
            queue.Acknowledge(read[0].Sequence, read[0].Priority);
            queue.Acknowledge(read[1].Sequence, read[1].Priority);
            queue.Acknowledge(read[3].Sequence, read[3].Priority);
        }

        await using MessageStore reopened = _ctx.Open();
        IEndpointQueue again = reopened.GetQueue(Endpoint);

        Assert.Equal(3, again.PendingCount);
        Assert.Equal(["m2", "m4", "m5"], (await ReadAsync(again, 3)).ConvertAll(Text));
    }

    [Fact]
    public async Task Reopen_ContinuesSequenceNumbersAfterEverySegmentWasDeleted()
    {
        long last;
        await using (MessageStore store = _ctx.Open(o => o.SegmentBytes = 4096))
        {
            IEndpointQueue queue = store.GetQueue(Endpoint);
            for (int i = 0; i < 10; i++)
            {
                await store.AppendAsync(Message("m" + i, padTo: 1000), [To(Endpoint)], CancellationToken.None);
            }

            List<QueueEntry> read = await ReadAsync(queue, 10);
            read.ForEach(e => queue.Acknowledge(e.Sequence, e.Priority));
            last = read[^1].Sequence;
        }

        await using MessageStore reopened = _ctx.Open(o => o.SegmentBytes = 4096);
        long next = await reopened.AppendAsync(Message("after"), [To(Endpoint)], CancellationToken.None);

        Assert.True(next > last);
        Assert.Equal(["after"], (await ReadAsync(reopened.GetQueue(Endpoint), 1)).ConvertAll(Text));
    }

    [Fact]
    public async Task Crash_AfterAppendReturned_MessagesSurviveWithoutDispose()
    {
        MessageStore store = _ctx.Open();
        for (int i = 0; i < 100; i++)
        {
            await store.AppendAsync(Message("m" + i), [To(Endpoint)], CancellationToken.None);
        }

        // The files as the kernel holds them while the process is still running: what kill -9 would leave.
        string crashed = _ctx.SnapshotAsCrashed();
        await store.DisposeAsync();

        await using MessageStore recovered = MessageStore.Open(_ctx.Options(o => o.Directory = crashed));

        Assert.Equal(100, recovered.GetQueue(Endpoint).PendingCount);
        Assert.Equal(0, recovered.CorruptRecordCount);
    }

    [Fact]
    public async Task Crash_BeforeCheckpointWrite_RedeliversAcknowledgedEntries_AtLeastOnce()
    {
        MessageStore store = _ctx.Open();
        IEndpointQueue queue = store.GetQueue(Endpoint);
        for (int i = 0; i < 4; i++)
        {
            await store.AppendAsync(Message("m" + i), [To(Endpoint)], CancellationToken.None);
        }

        List<QueueEntry> read = await ReadAsync(queue, 4);
        queue.Acknowledge(read[0].Sequence, 0);
        store.RunMaintenance(); // checkpoint covers m0
        queue.Acknowledge(read[1].Sequence, 0); // not yet checkpointed
        string crashed = _ctx.SnapshotAsCrashed();
        await store.DisposeAsync();

        await using MessageStore recovered = MessageStore.Open(_ctx.Options(o => o.Directory = crashed));

        Assert.Equal(["m1", "m2", "m3"], (await ReadAsync(recovered.GetQueue(Endpoint), 3)).ConvertAll(Text));
    }

    [Theory]
    [InlineData(3, 0, 9)]
    [InlineData(0, 37, 10)]
    [InlineData(5, 37, 9)]
    [InlineData(1500, 0, 8)]
    public async Task Reopen_AfterTornWrite_LosesOnlyTheTornRecord(int truncateBytes, int garbageBytes, int expectedEntries)
    {
        await using (MessageStore store = _ctx.Open())
        {
            for (int i = 0; i < 10; i++)
            {
                await store.AppendAsync(Message("m" + i, padTo: 1000), [To(Endpoint)], CancellationToken.None);
            }
        }

        string last = _ctx.SegmentFiles()[^1];
        using (var file = new FileStream(last, FileMode.Open, FileAccess.ReadWrite))
        {
            file.SetLength(file.Length - truncateBytes);
            file.Seek(0, SeekOrigin.End);
            var garbage = new byte[garbageBytes];
            new Random(42).NextBytes(garbage);
            file.Write(garbage);
        }

        await using (MessageStore reopened = _ctx.Open())
        {
            List<QueueEntry> entries = await ReadAsync(reopened.GetQueue(Endpoint), expectedEntries);
            Assert.Equal(Enumerable.Range(0, expectedEntries).Select(i => "m" + i), entries.ConvertAll(Text));
            Assert.Equal(expectedEntries, reopened.GetQueue(Endpoint).PendingCount);
            Assert.Equal(truncateBytes + garbageBytes > 0 ? 1 : 0, reopened.CorruptRecordCount);

            // The tail was cut back to the last whole record: new appends land after it and survive another reopen.
            await reopened.AppendAsync(Message("after"), [To(Endpoint)], CancellationToken.None);
        }

        await using MessageStore third = _ctx.Open();
        Assert.Equal(expectedEntries + 1, third.GetQueue(Endpoint).PendingCount);
        Assert.Equal(0, third.CorruptRecordCount);
    }

    [Fact]
    public async Task Reopen_WithFlippedByteInsideARecord_TruncatesFromThatRecord()
    {
        await using (MessageStore store = _ctx.Open())
        {
            for (int i = 0; i < 5; i++)
            {
                await store.AppendAsync(Message("m" + i, padTo: 100), [To(Endpoint)], CancellationToken.None);
            }
        }

        string segment = _ctx.SegmentFiles()[^1];
        byte[] bytes = await File.ReadAllBytesAsync(segment);
        bytes[^50] ^= 0xFF;
        await File.WriteAllBytesAsync(segment, bytes);

        await using MessageStore reopened = _ctx.Open();

        Assert.Equal(4, reopened.GetQueue(Endpoint).PendingCount);
        Assert.Equal(1, reopened.CorruptRecordCount);
    }

    [Fact]
    public async Task Reopen_WithCorruptCheckpointFile_RedeliversEverythingAndOpens()
    {
        await using (MessageStore store = _ctx.Open())
        {
            IEndpointQueue queue = store.GetQueue(Endpoint);
            for (int i = 0; i < 3; i++)
            {
                await store.AppendAsync(Message("m" + i), [To(Endpoint)], CancellationToken.None);
            }

            List<QueueEntry> read = await ReadAsync(queue, 3);
            queue.Acknowledge(read[0].Sequence, 0);
        }

        await File.WriteAllBytesAsync(Path.Combine(_ctx.Directory, "checkpoints.dat"), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17]);

        await using MessageStore reopened = _ctx.Open();

        Assert.Equal(3, reopened.GetQueue(Endpoint).PendingCount);
        Assert.Equal(1, reopened.CorruptRecordCount);
    }

    [Fact]
    public async Task Open_WithRandomSegmentFiles_NeverThrows()
    {
        var random = new Random(7);
        for (int round = 0; round < 20; round++)
        {
            foreach (string file in Directory.GetFiles(_ctx.Directory))
            {
                File.Delete(file);
            }

            await using (MessageStore store = _ctx.Open())
            {
                for (int i = 0; i < 5; i++)
                {
                    await store.AppendAsync(Message("m" + i, padTo: random.Next(1, 300)), [To(Endpoint, random.Next(0, 10))], CancellationToken.None);
                }
            }

            // Damage a random range of the segment and cut it at a random length.
            string segment = _ctx.SegmentFiles()[^1];
            byte[] bytes = await File.ReadAllBytesAsync(segment);
            int start = random.Next(0, bytes.Length);
            int count = random.Next(0, Math.Min(64, bytes.Length - start));
            random.NextBytes(bytes.AsSpan(start, count));
            await File.WriteAllBytesAsync(segment, bytes.AsSpan(0, random.Next(0, bytes.Length + 1)).ToArray());

            await using MessageStore reopened = _ctx.Open();
            IEndpointQueue queue = reopened.GetQueue(Endpoint);
            Assert.InRange(queue.PendingCount, 0, 5);
            if (queue.PendingCount > 0)
            {
                Assert.Equal((int)queue.PendingCount, (await ReadAsync(queue, (int)queue.PendingCount)).Count);
            }
        }
    }
}
