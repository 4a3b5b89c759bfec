using EdgeHub.Messaging;
using EdgeHub.Storage;
using EdgeKit.Protocol;

namespace EdgeHub.Tests.Storage;

/// <summary>A temporary store folder per test and helpers to build messages.</summary>
internal sealed class StoreTestContext : IDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 11, 25, 8, 0, 0, TimeSpan.Zero);

    public StoreTestContext()
    {
        Directory = Path.Combine(Path.GetTempPath(), "edgehub-store-tests", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
        Clock = new FakeTimeProvider(Start);
    }

    public string Directory { get; }

    public FakeTimeProvider Clock { get; }

    public MessageStoreOptions Options(Action<MessageStoreOptions>? configure = null)
    {
        var options = new MessageStoreOptions
        {
            Directory = Directory,
            TimeProvider = Clock,
            // Tests drive checkpoints through RunMaintenance; the background cadence stays out of the way.
            CheckpointInterval = TimeSpan.FromHours(1),
            CheckpointEveryAcks = int.MaxValue,
        };
        configure?.Invoke(options);
        return options;
    }

    public MessageStore Open(Action<MessageStoreOptions>? configure = null) => MessageStore.Open(Options(configure));

    public static HubMessage Message(string text, int padTo = 0)
    {
        string body = padTo > text.Length ? text.PadRight(padTo, '.') : text;
        return new HubMessage(
            System.Text.Encoding.UTF8.GetBytes(body),
            new Dictionary<string, string> { ["schema"] = "telemetry/1", ["text"] = text },
            new Dictionary<string, string> { [SystemPropertyNames.MessageId] = text, [SystemPropertyNames.ContentType] = "application/json" })
        {
            Source = MessageSource.FromModule("dev1", "ingest", "telemetry"),
        };
    }

    public static string Text(QueueEntry entry) => entry.Message.Properties["text"];

    public static EnqueueTarget To(string endpoint, int priority = 0, DateTimeOffset? expires = null) =>
        new(endpoint, priority, expires ?? DateTimeOffset.MaxValue);

    /// <summary>Reads until <paramref name="count"/> entries arrived or the timeout passed.</summary>
    public static async Task<List<QueueEntry>> ReadAsync(IEndpointQueue queue, int count, int timeoutMs = 5000)
    {
        var entries = new List<QueueEntry>();
        using var cts = new CancellationTokenSource(timeoutMs);
        while (entries.Count < count)
        {
            await queue.ReadAsync(entries, count - entries.Count, cts.Token);
        }

        return entries;
    }

    /// <summary>Copies the folder as the operating system holds it now: what a kill -9 of the process would leave behind.</summary>
    public string SnapshotAsCrashed()
    {
        string copy = Directory + "-crash";
        System.IO.Directory.CreateDirectory(copy);
        foreach (string file in System.IO.Directory.GetFiles(Directory))
        {
            if (Path.GetFileName(file) != "store.lock")
            {
                File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
            }
        }

        return copy;
    }

    public string[] SegmentFiles() => SegmentFiles(Directory);

    public static string[] SegmentFiles(string directory)
    {
        string[] files = System.IO.Directory.GetFiles(directory, "*.seg");
        Array.Sort(files, StringComparer.Ordinal);
        return files;
    }

    public void Dispose()
    {
        foreach (string dir in new[] { Directory, Directory + "-crash" })
        {
            try
            {
                if (System.IO.Directory.Exists(dir))
                {
                    System.IO.Directory.Delete(dir, recursive: true);
                }
            }
            catch (IOException)
            {
            }
        }
    }
}
