using BenchmarkDotNet.Attributes;
using EdgeHub.Messaging;
using EdgeHub.Storage;
using EdgeKit.Protocol;

namespace EdgeBench;

/// <summary>
/// Store hot paths with 1 KB messages to one endpoint. Every iteration starts from an empty store folder, so one
/// invocation is one iteration and the figures are per message (OperationsPerInvoke).
/// Run: dotnet run -c Release --project tests/bench/EdgeBench -- --filter '*MessageStore*' --job short --inProcess
/// </summary>
[MemoryDiagnoser]
public class MessageStoreBenchmarks
{
    private const int Messages = 100_000;
    private const int FsyncMessages = 5_000;
    private const string Endpoint = "$upstream";

    private readonly EnqueueTarget[] _targets = [new(Endpoint, 0, DateTimeOffset.MaxValue)];
    private HubMessage _message = null!;
    private string _directory = "";
    private MessageStore _store = null!;
    private List<QueueEntry> _readBuffer = [];

    [Params(1, 8)]
    public int Appenders { get; set; }

    [GlobalSetup]
    public void GlobalSetup()
    {
        var body = new byte[1024];
        new Random(1).NextBytes(body);
        _message = new HubMessage(
            body,
            new Dictionary<string, string> { ["schema"] = "telemetry/1", ["source"] = "modbus://pump1" },
            new Dictionary<string, string>
            {
                [SystemPropertyNames.MessageId] = "0f8fad5b-d9cb-469f-a165-70867728950e",
                [SystemPropertyNames.ContentType] = "application/json",
                [SystemPropertyNames.ContentEncoding] = "utf-8",
                [SystemPropertyNames.ConnectionDeviceId] = "plant1-gw",
                [SystemPropertyNames.ConnectionModuleId] = "SensorIngest",
                [SystemPropertyNames.OutputName] = "telemetry",
            })
        {
            Source = MessageSource.FromModule("plant1-gw", "SensorIngest", "telemetry"),
        };
    }

    [IterationSetup(Targets = [nameof(Append), nameof(AppendWhileReadingAndAcknowledging)])]
    public void OpenEmpty() => OpenStore(StoreFlushMode.OperatingSystem);

    [IterationSetup(Target = nameof(AppendFsync))]
    public void OpenEmptyFsync() => OpenStore(StoreFlushMode.Fsync);

    [IterationSetup(Target = nameof(ReadAndAcknowledgeBacklog))]
    public void OpenWithBacklog()
    {
        OpenStore(StoreFlushMode.OperatingSystem);
        RunAppenders(Messages).GetAwaiter().GetResult();
    }

    [IterationSetup(Target = nameof(Recover))]
    public void WriteBacklogAndClose()
    {
        OpenWithBacklog();
        _store.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [IterationCleanup]
    public void Cleanup()
    {
        _store.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>Opening a store with a 100,000-message (130 MB) unacknowledged backlog: scan, verify and index every record.</summary>
    [Benchmark(OperationsPerInvoke = Messages)]
    public void Recover() => _store = MessageStore.Open(new MessageStoreOptions { Directory = _directory });

    /// <summary>Concurrent appenders, nobody reading (OperatingSystem flush mode).</summary>
    [Benchmark(OperationsPerInvoke = Messages)]
    public Task Append() => RunAppenders(Messages);

    /// <summary>Concurrent appenders, fsync group commit.</summary>
    [Benchmark(OperationsPerInvoke = FsyncMessages)]
    public Task AppendFsync() => RunAppenders(FsyncMessages);

    /// <summary>One reader acknowledging every entry of a 100,000-entry backlog (bodies mostly read back from the segment).</summary>
    [Benchmark(OperationsPerInvoke = Messages)]
    public Task ReadAndAcknowledgeBacklog() => ReadAndAcknowledge(Messages);

    /// <summary>Appenders and one reader/acknowledger at the same time: the steady state of a hub that keeps up.</summary>
    [Benchmark(OperationsPerInvoke = Messages)]
    public Task AppendWhileReadingAndAcknowledging() => Task.WhenAll(RunAppenders(Messages), ReadAndAcknowledge(Messages));

    private void OpenStore(StoreFlushMode mode)
    {
        _directory = Path.Combine(Path.GetTempPath(), "edgebench-store", Guid.NewGuid().ToString("N"));
        _store = MessageStore.Open(new MessageStoreOptions { Directory = _directory, FlushMode = mode });
        _readBuffer = new List<QueueEntry>(512);
    }

    private Task RunAppenders(int total)
    {
        var tasks = new Task[Appenders];
        int each = total / Appenders;
        for (int i = 0; i < tasks.Length; i++)
        {
            tasks[i] = Task.Run(async () =>
            {
                for (int n = 0; n < each; n++)
                {
                    await _store.AppendAsync(_message, _targets, CancellationToken.None);
                }
            });
        }

        return Task.WhenAll(tasks);
    }

    private async Task ReadAndAcknowledge(int total)
    {
        IEndpointQueue queue = _store.GetQueue(Endpoint);
        int done = 0;
        while (done < total)
        {
            _readBuffer.Clear();
            int count = await queue.ReadAsync(_readBuffer, 512, CancellationToken.None);
            for (int i = 0; i < count; i++)
            {
                QueueEntry entry = _readBuffer[i];
                queue.Acknowledge(entry.Sequence, entry.Priority);
            }

            done += count;
        }
    }
}
