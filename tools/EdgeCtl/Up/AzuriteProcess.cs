using System.Diagnostics;
using EdgeCtl.Supervisor;
using Microsoft.Extensions.Logging;

namespace EdgeCtl.Up;

/// <summary>
/// Azurite (Blob, Queue, Table) from the repository's node_modules, started directly (not through npx) so the recorded
/// pid is the server's, bound to 127.0.0.1, data under the state folder.
/// </summary>
public sealed class AzuriteProcess : IAsyncDisposable
{
    private readonly ILogger _logger;
    private Process? _process;

    public AzuriteProcess(ILogger logger) => _logger = logger;

    public int BlobPort { get; private set; }

    public int QueuePort { get; private set; }

    public int TablePort { get; private set; }

    public int? ProcessId => _process?.Id;

    /// <summary>The development connection string for these ports (Azurite's well-known account and key).</summary>
    public string ConnectionString =>
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;" +
        "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;" +
        $"BlobEndpoint=http://127.0.0.1:{BlobPort}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:{QueuePort}/devstoreaccount1;TableEndpoint=http://127.0.0.1:{TablePort}/devstoreaccount1;";

    /// <summary>Finds `node_modules/.bin/azurite` upwards from <paramref name="start"/>.</summary>
    public static string? Find(string start)
    {
        for (var dir = new DirectoryInfo(Path.GetFullPath(start)); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "node_modules", "azurite", "dist", "src", "azurite.js");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    public async Task StartAsync(string script, string dataDirectory, int blobPort, int queuePort, int tablePort, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(dataDirectory);
        BlobPort = blobPort == 0 ? HealthProbe.FreePort() : blobPort;
        QueuePort = queuePort == 0 ? HealthProbe.FreePort() : queuePort;
        TablePort = tablePort == 0 ? HealthProbe.FreePort() : tablePort;
        foreach (int port in new[] { BlobPort, QueuePort, TablePort })
        {
            if (!HealthProbe.IsFree(port))
            {
                throw new InvalidOperationException($"Azurite: port {port} is already in use (pass other --azurite-port values or stop what holds it)");
            }
        }

        var info = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in new[]
        {
            script, "--blobHost", "127.0.0.1", "--blobPort", BlobPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--queueHost", "127.0.0.1", "--queuePort", QueuePort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--tableHost", "127.0.0.1", "--tablePort", TablePort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--location", dataDirectory, "--skipApiVersionCheck", "--loose", "--disableTelemetry", "--silent",
        })
        {
            info.ArgumentList.Add(arg);
        }

        _process = Process.Start(info) ?? throw new InvalidOperationException("Azurite: node did not start");
        _process.OutputDataReceived += (_, e) => { if (!string.IsNullOrEmpty(e.Data)) { UpLog.Peer(_logger, "azurite", e.Data); } };
        _process.ErrorDataReceived += (_, e) => { if (!string.IsNullOrEmpty(e.Data)) { UpLog.Peer(_logger, "azurite", e.Data); } };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"Azurite exited at start with code {_process.ExitCode}");
            }

            if (!HealthProbe.IsFree(BlobPort) && !HealthProbe.IsFree(QueuePort) && !HealthProbe.IsFree(TablePort))
            {
                return;
            }

            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }

        throw new TimeoutException("Azurite did not listen within 30 s");
    }

    public async ValueTask DisposeAsync()
    {
        var process = Interlocked.Exchange(ref _process, null);
        if (process is null)
        {
            return;
        }

        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            }
        }
        catch (InvalidOperationException)
        {
        }
        catch (TimeoutException)
        {
        }

        process.Dispose();
    }
}
