using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace TestSupport.Modbus;

/// <summary>
/// A real Modbus peer as a child process (the libmodbus C server from tests/peers/modbus, pymodbus, socat): started with its
/// output captured, ready once it prints a marker line, stopped by its process id.
/// </summary>
public sealed class ModbusPeerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly string? _readyMarker;

    private ModbusPeerProcess(Process process, string? readyMarker)
    {
        (_process, _readyMarker) = (process, readyMarker);
    }

    /// <summary>The peer's process id.</summary>
    public int Pid => _process.Id;

    /// <summary>What the peer wrote so far (stdout and stderr), for failure messages.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Starts <paramref name="fileName"/> and waits until a line contains <paramref name="readyMarker"/> (or, when null, does not wait).</summary>
    public static async Task<ModbusPeerProcess> StartAsync(string fileName, IEnumerable<string> arguments, string? readyMarker, TimeSpan? timeout = null)
    {
        var info = new ProcessStartInfo(fileName, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        var process = Process.Start(info) ?? throw new InvalidOperationException($"{fileName} did not start");
        var peer = new ModbusPeerProcess(process, readyMarker);
        process.OutputDataReceived += (_, e) => peer.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => peer.OnLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (readyMarker is null)
        {
            return peer;
        }

        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(20));
        try
        {
            await Task.WhenAny(peer._ready.Task, process.WaitForExitAsync(cts.Token)).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        if (!peer._ready.Task.IsCompleted)
        {
            string output = peer.Output;
            await peer.DisposeAsync().ConfigureAwait(false);
            throw new InvalidOperationException($"{Path.GetFileName(fileName)} did not become ready: {output}");
        }

        return peer;
    }

    /// <summary>Waits until something accepts TCP connections on 127.0.0.1:<paramref name="port"/>.</summary>
    public async Task WaitForTcpAsync(int port, TimeSpan? timeout = null)
    {
        DateTime deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"peer exited with {_process.ExitCode}: {Output}");
            }

            try
            {
                using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(IPAddress.Loopback, port).ConfigureAwait(false);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(25).ConfigureAwait(false);
            }
        }

        throw new TimeoutException($"peer did not listen on {port}: {Output}");
    }

    /// <summary>Kills the peer by its pid; safe to call twice.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: false);
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await _process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
            }
        }
        catch (InvalidOperationException)
        {
        }
        catch (OperationCanceledException)
        {
        }

        _process.Dispose();
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }

        if (_readyMarker is not null && line.Contains(_readyMarker, StringComparison.Ordinal))
        {
            _ready.TrySetResult();
        }
    }
}
