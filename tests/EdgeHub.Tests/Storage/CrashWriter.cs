using EdgeHub.Storage;

namespace EdgeHub.Tests.Storage;

/// <summary>
/// Child-process side of the kill -9 test: appends until killed and prints each sequence number once its AppendAsync
/// has returned, so that every printed number is a promise the store must keep after the process dies.
/// Started as `dotnet EdgeHub.Tests.dll store-crash-writer DIR` (see <see cref="TestHostEntryPoint"/>).
/// </summary>
internal static class CrashWriter
{
    public const string Command = "store-crash-writer";

    public static async Task<int> RunAsync(string directory)
    {
        await using MessageStore store = MessageStore.Open(new MessageStoreOptions { Directory = directory });
        using var output = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = true };
        var gate = new object();
        var writers = new Task[4];
        for (int w = 0; w < writers.Length; w++)
        {
            int writer = w;
            writers[w] = Task.Run(async () =>
            {
                for (int i = 0; ; i++)
                {
                    long sequence = await store.AppendAsync(
                        StoreTestContext.Message($"w{writer}-{i}", padTo: 1000),
                        [StoreTestContext.To("$upstream", i % 3)],
                        CancellationToken.None);
                    lock (gate)
                    {
                        output.WriteLine(sequence.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    }
                }
            });
        }

        await Task.WhenAll(writers);
        return 0;
    }
}

/// <summary>
/// The test assembly's entry point (GenerateProgramFile is off in the project): `dotnet test` never calls it;
/// the crash test starts the assembly as a child process with a command.
/// </summary>
internal static class TestHostEntryPoint
{
    public static int Main(string[] args) =>
        args.Length == 2 && args[0] == CrashWriter.Command ? CrashWriter.RunAsync(args[1]).GetAwaiter().GetResult() : 0;
}
