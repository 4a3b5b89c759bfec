using System.Diagnostics;
using EdgeHub.Storage;

namespace EdgeHub.Tests.Storage;

[Trait("Category", "Integration")]
public sealed class MessageStoreCrashTests : IDisposable
{
    private readonly StoreTestContext _ctx = new();

    public void Dispose() => _ctx.Dispose();

    [Fact]
    public async Task KillDash9_WhileAppending_KeepsEveryAppendThatReturned()
    {
        const int ReportedBeforeKill = 3000;
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(typeof(CrashWriter).Assembly.Location);
        start.ArgumentList.Add(CrashWriter.Command);
        start.ArgumentList.Add(_ctx.Directory);

        var reported = new HashSet<long>();
        using (Process child = Process.Start(start)!)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
                while (reported.Count < ReportedBeforeKill)
                {
                    string? line = await child.StandardOutput.ReadLineAsync(timeout.Token);
                    if (line is null)
                    {
                        Assert.Fail("The writer exited early: " + await child.StandardError.ReadToEndAsync(timeout.Token));
                    }

                    reported.Add(long.Parse(line, System.Globalization.CultureInfo.InvariantCulture));
                }
            }
            finally
            {
                // SIGKILL while the writers are still appending: no dispose, no final checkpoint.
                child.Kill(entireProcessTree: true);
                await child.WaitForExitAsync();
            }
        }

        await using MessageStore recovered = _ctx.Open();
        IEndpointQueue queue = recovered.GetQueue("$upstream");
        Assert.True(queue.PendingCount >= reported.Count, $"{queue.PendingCount} entries recovered, {reported.Count} appends had returned");
        List<QueueEntry> entries = await StoreTestContext.ReadAsync(queue, (int)queue.PendingCount, timeoutMs: 30_000);
        var recoveredSequences = entries.ConvertAll(e => e.Sequence).ToHashSet();
        List<long> lost = reported.Where(s => !recoveredSequences.Contains(s)).ToList();
        Assert.True(lost.Count == 0, $"{lost.Count} returned appends lost, e.g. {string.Join(", ", lost.Take(5))}");
        Assert.InRange(recovered.CorruptRecordCount, 0, 1);
    }
}
