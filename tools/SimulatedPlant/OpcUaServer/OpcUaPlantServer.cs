using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SimulatedPlant.Process;

namespace SimulatedPlant.OpcUa;

/// <summary>Settings of <see cref="OpcUaPlantServer"/>.</summary>
public sealed class OpcUaPlantServerOptions
{
    /// <summary>TCP port of the opc.tcp endpoint; 0 picks a free loopback port before the server starts.</summary>
    public int Port { get; set; }

    /// <summary>Path of plant-server.js; null finds tools/SimulatedPlant/opcua/plant-server.js above the application folder.</summary>
    public string? ScriptPath { get; set; }

    /// <summary>The node executable.</summary>
    public string NodeExecutable { get; set; } = "node";

    /// <summary>Folder for the node-opcua certificate stores; null creates one under the temp folder (never the home folder).</summary>
    public string? PkiFolder { get; set; }

    /// <summary>How long node may take to create its certificate and listen.</summary>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(60);
}

/// <summary>
/// Runs the node-opcua plant server (tools/SimulatedPlant/opcua/plant-server.js) as a child process and feeds it
/// snapshots as JSON lines on its stdin. The child exits when its stdin closes; <see cref="StopAsync"/> also kills it
/// by its process id if it does not.
/// </summary>
public sealed class OpcUaPlantServer : IAsyncDisposable
{
    private const string ScriptRelativePath = "tools/SimulatedPlant/opcua/plant-server.js";

    private readonly OpcUaPlantServerOptions _options;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly ArrayBufferWriterPool _buffer = new();
    private System.Diagnostics.Process? _process;
    private string? _ownedPkiFolder;
    private int _stopped;

    public OpcUaPlantServer(OpcUaPlantServerOptions? options = null, ILogger<OpcUaPlantServer>? logger = null)
    {
        _options = options ?? new OpcUaPlantServerOptions();
        ArgumentOutOfRangeException.ThrowIfNegative(_options.Port, nameof(options));
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>The endpoint's TCP port (valid after <see cref="StartAsync"/>).</summary>
    public int Port { get; private set; }

    /// <summary>The endpoint URL node-opcua reported, for example opc.tcp://127.0.0.1:14840/.</summary>
    public string? EndpointUrl { get; private set; }

    /// <summary>Process id of the node server while it runs.</summary>
    public int? ProcessId => _process is { HasExited: false } p ? p.Id : null;

    /// <summary>Finds plant-server.js in the repository above <paramref name="startFolder"/> (default: the application folder).</summary>
    public static string? FindScript(string? startFolder = null)
    {
        for (var dir = new DirectoryInfo(startFolder ?? AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, ScriptRelativePath);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>Starts node and completes when the opc.tcp endpoint accepts connections.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_process is not null)
        {
            throw new InvalidOperationException("The OPC UA server is already started.");
        }

        string script = _options.ScriptPath ?? FindScript()
            ?? throw new FileNotFoundException($"{ScriptRelativePath} not found above {AppContext.BaseDirectory}; set OpcUaPlantServerOptions.ScriptPath.");
        string scriptFolder = Path.GetDirectoryName(Path.GetFullPath(script))!;
        if (!Directory.Exists(Path.Combine(scriptFolder, "node_modules", "node-opcua")))
        {
            throw new InvalidOperationException($"node-opcua is not installed in {scriptFolder}; run scripts/install-deps.sh (npm ci).");
        }

        string pki = _options.PkiFolder ?? (_ownedPkiFolder = Directory.CreateTempSubdirectory("simulated-plant-opcua-").FullName);
        Port = _options.Port != 0 ? _options.Port : FreeLoopbackPort();
        PlantLog.OpcUaStarting(_logger, Port, script);

        var info = new ProcessStartInfo(_options.NodeExecutable)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = scriptFolder,
        };
        info.ArgumentList.Add(script);
        info.ArgumentList.Add("--port");
        info.ArgumentList.Add(Port.ToString(CultureInfo.InvariantCulture));
        info.ArgumentList.Add("--host");
        info.ArgumentList.Add("127.0.0.1");
        info.ArgumentList.Add("--pki");
        info.ArgumentList.Add(pki);

        var ready = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var errors = new Queue<string>();
        var process = new System.Diagnostics.Process { StartInfo = info, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            if (e.Data.StartsWith("READY ", StringComparison.Ordinal))
            {
                ready.TrySetResult(e.Data["READY ".Length..].Trim());
            }
            else
            {
                PlantLog.OpcUaOutput(_logger, e.Data);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            PlantLog.OpcUaOutput(_logger, e.Data);
            lock (errors)
            {
                errors.Enqueue(e.Data);
                if (errors.Count > 20)
                {
                    errors.Dequeue();
                }
            }
        };
        process.Exited += (_, _) =>
        {
            string tail;
            lock (errors)
            {
                tail = string.Join(Environment.NewLine, errors);
            }

            ready.TrySetException(new InvalidOperationException($"node exited before the OPC UA endpoint listened:{Environment.NewLine}{tail}"));
        };

        process.Start();
        _process = process;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            EndpointUrl = await ready.Task.WaitAsync(_options.StartTimeout, cancellationToken).ConfigureAwait(false);
            await WaitListeningAsync(Port, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            PlantLog.OpcUaStartFailed(_logger, ex.Message);
            await StopAsync(CancellationToken.None).ConfigureAwait(false);
            throw;
        }

        PlantLog.OpcUaStarted(_logger, process.Id, EndpointUrl);
    }

    /// <summary>Sends one snapshot to the server; values turn BadNoCommunication while sensor-dropout is active.</summary>
    public async Task PublishAsync(PlantSnapshot snapshot, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        System.Diagnostics.Process? process = _process;
        if (process is null || process.HasExited)
        {
            return;
        }

        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            string line = ToJsonLine(snapshot, _buffer);
            await process.StandardInput.WriteLineAsync(line.AsMemory(), cancellationToken).ConfigureAwait(false);
            await process.StandardInput.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Closes the server's stdin (it shuts down), then kills it by process id after 5 s. Safe to call twice.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        System.Diagnostics.Process? process = _process;
        if (process is null || Interlocked.Exchange(ref _stopped, 1) == 1)
        {
            return;
        }

        int pid = process.Id;
        try
        {
            if (!process.HasExited)
            {
                await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    process.StandardInput.Close();
                }
                finally
                {
                    _writeLock.Release();
                }

                using var grace = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                grace.CancelAfter(TimeSpan.FromSeconds(5));
                try
                {
                    await process.WaitForExitAsync(grace.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    process.Kill(entireProcessTree: true);
                    await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException)
        {
            // Already gone.
        }
        finally
        {
            process.Dispose();
            PlantLog.OpcUaStopped(_logger, pid);
            if (_ownedPkiFolder is not null)
            {
                try
                {
                    Directory.Delete(_ownedPkiFolder, recursive: true);
                }
                catch (IOException)
                {
                    // A leftover temp folder is harmless.
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        _writeLock.Dispose();
    }

    internal static string ToJsonLine(PlantSnapshot snapshot, ArrayBufferWriterPool buffer)
    {
        System.Buffers.ArrayBufferWriter<byte> output = buffer.Writer;
        output.ResetWrittenCount();
        using (var json = new Utf8JsonWriter(output))
        {
            json.WriteStartObject();
            json.WriteString("ts", snapshot.Timestamp.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
            json.WriteString("quality", snapshot.Dropout ? "bad" : "good");
            json.WriteStartArray("faults");
            foreach (PlantFault fault in snapshot.ActiveFaults)
            {
                json.WriteStringValue(PlantFaults.Name(fault));
            }

            json.WriteEndArray();
            json.WriteStartObject("values");
            foreach (SignalInfo info in PlantSignals.All)
            {
                json.WriteNumber(info.Name, Math.Round(snapshot[info.Signal], 6));
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(output.WrittenSpan);
    }

    internal static int FreeLoopbackPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private static async Task WaitListeningAsync(int port, CancellationToken cancellationToken)
    {
        for (int attempt = 0; ; attempt++)
        {
            using var probe = new TcpClient();
            try
            {
                await probe.ConnectAsync(IPAddress.Loopback, port, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (SocketException) when (attempt < 50)
            {
                await Task.Delay(100, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>One reusable JSON buffer per server (writes are serialized by the write lock).</summary>
    internal sealed class ArrayBufferWriterPool
    {
        public System.Buffers.ArrayBufferWriter<byte> Writer { get; } = new(1024);
    }
}
