using EdgeCtl.Supervisor;
using EdgeCtl.Up;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeCtl.Tests.Up;

[Trait("Category", "Integration")]
public sealed class AzuriteProcessTests
{
    [Fact]
    public async Task Start_ServesBlobQueueTable_OnLoopback_AndDisposeEndsTheProcess()
    {
        string script = AzuriteProcess.Find(EdgeCtlProcess.RepositoryRoot())
            ?? throw new InvalidOperationException("node_modules/azurite is missing: run scripts/install-deps.sh");
        string data = Path.Combine(Path.GetTempPath(), "azurite-test-" + Guid.NewGuid().ToString("N"));
        int pid;
        await using (var azurite = new AzuriteProcess(NullLogger.Instance))
        {
            await azurite.StartAsync(script, data, 0, 0, 0, CancellationToken.None);
            pid = azurite.ProcessId!.Value;
            using var http = new HttpClient();

            // An anonymous list-containers call is refused with Azure Storage's own error shape: the real service answers.
            var response = await http.GetAsync(new Uri($"http://127.0.0.1:{azurite.BlobPort}/devstoreaccount1?comp=list"));
            Assert.Contains("x-ms-request-id", response.Headers.Select(h => h.Key), StringComparer.OrdinalIgnoreCase);
            Assert.Contains($"BlobEndpoint=http://127.0.0.1:{azurite.BlobPort}/devstoreaccount1", azurite.ConnectionString, StringComparison.Ordinal);
            Assert.False(HealthProbe.IsFree(azurite.QueuePort));
            Assert.False(HealthProbe.IsFree(azurite.TablePort));
        }

        Assert.False(Directory.Exists($"/proc/{pid}"), "Azurite still runs after dispose");
        Directory.Delete(data, recursive: true);
    }
}
