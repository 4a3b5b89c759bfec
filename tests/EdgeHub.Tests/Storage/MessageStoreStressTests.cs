using EdgeHub.Storage;
using static EdgeHub.Tests.Storage.StoreTestContext;

namespace EdgeHub.Tests.Storage;

[Trait("Category", "Unit")]
public sealed class MessageStoreStressTests : IDisposable
{
    private const string Endpoint = "$upstream";
    private readonly StoreTestContext _ctx = new();

    public void Dispose() => _ctx.Dispose();

    [Fact]
    public async Task AppendReadAcknowledge_Concurrently_WithSmallSegmentsAndNoCache_DeliversAllAndDeletesSegments()
    {
        await using MessageStore store = _ctx.Open(o => { o.SegmentBytes = 16 * 1024; o.CacheBytes = 0; });
        const int Writers = 4;
        const int PerWriter = 1500;
        IEndpointQueue queue = store.GetQueue(Endpoint);

        Task<HashSet<string>> consumer = Task.Run(async () =>
        {
            var seen = new HashSet<string>();
            var batch = new List<QueueEntry>();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            while (seen.Count < Writers * PerWriter)
            {
                batch.Clear();
                await queue.ReadAsync(batch, 64, timeout.Token);
                foreach (QueueEntry entry in batch)
                {
                    Assert.True(seen.Add(Text(entry)), "delivered twice without a rewind: " + Text(entry));
                    queue.Acknowledge(entry.Sequence, entry.Priority);
                }
            }

            return seen;
        });

        await Task.WhenAll(Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            for (int i = 0; i < PerWriter; i++)
            {
                await store.AppendAsync(Message($"w{w}-{i}", padTo: 500), [To(Endpoint, i % 4)], CancellationToken.None);
            }
        })));

        Assert.Equal(Writers * PerWriter, (await consumer).Count);
        Assert.Equal(0, queue.PendingCount);
        Assert.Equal(1, store.SegmentCount);
        Assert.Single(_ctx.SegmentFiles());
    }

    [Fact]
    public async Task Acknowledge_InRandomOrder_EndsWithCheckpointAtLastSequenceAndNothingPending()
    {
        var random = new Random(3);
        await using MessageStore store = _ctx.Open(o => o.SegmentBytes = 4096);
        var queue = (EndpointQueue)store.GetQueue(Endpoint);
        for (int i = 0; i < 200; i++)
        {
            await store.AppendAsync(Message("m" + i, padTo: 200), [To(Endpoint, 7)], CancellationToken.None);
        }

        List<QueueEntry> entries = await ReadAsync(queue, 200);
        long last = entries[^1].Sequence;
        QueueEntry[] shuffled = entries.ToArray();
        random.Shuffle(shuffled);
        long previousCheckpoint = 0;
        foreach (QueueEntry entry in shuffled)
        {
            queue.Acknowledge(entry.Sequence, entry.Priority);
            long checkpoint = queue.GetCheckpoint(7);
            Assert.True(checkpoint >= previousCheckpoint, "the checkpoint never moves back");
            Assert.All(entries.Where(e => e.Sequence <= checkpoint), e => Assert.Contains(e, shuffled.TakeWhile(s => s != entry).Append(entry)));
            previousCheckpoint = checkpoint;
        }

        Assert.Equal(last, queue.GetCheckpoint(7));
        Assert.Equal(0, queue.PendingCount);
        Assert.Single(_ctx.SegmentFiles());
    }

    [Fact]
    public async Task Checkpoint_AfterCheckpointEveryAcks_IsWrittenByTheBackgroundLoop()
    {
        await using (MessageStore store = _ctx.Open(o => o.CheckpointEveryAcks = 5))
        {
            IEndpointQueue queue = store.GetQueue(Endpoint);
            for (int i = 0; i < 5; i++)
            {
                await store.AppendAsync(Message("m" + i), [To(Endpoint)], CancellationToken.None);
            }

            foreach (QueueEntry entry in await ReadAsync(queue, 5))
            {
                queue.Acknowledge(entry.Sequence, entry.Priority);
            }

            string checkpoint = Path.Combine(_ctx.Directory, "checkpoints.dat");
            for (int i = 0; i < 100 && !File.Exists(checkpoint); i++)
            {
                await Task.Delay(50);
            }

            Assert.True(File.Exists(checkpoint));
            string crashed = _ctx.SnapshotAsCrashed();
            await using MessageStore recovered = MessageStore.Open(_ctx.Options(o => o.Directory = crashed));
            Assert.Equal(0, recovered.GetQueue(Endpoint).PendingCount);
        }
    }

    [Fact]
    public async Task Dispose_WhileAReaderWaits_FailsTheReadWithObjectDisposed()
    {
        MessageStore store = _ctx.Open();
        ValueTask<int> read = store.GetQueue(Endpoint).ReadAsync([], 10, CancellationToken.None);

        await store.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await read);
    }
}
