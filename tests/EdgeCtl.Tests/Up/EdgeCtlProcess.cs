using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using EdgeKit.Auth;

namespace EdgeCtl.Tests.Up;

/// <summary>`edgectl up` as a real process on a test manifest, with the hub's service API for assertions.</summary>
internal sealed class EdgeCtlProcess : IAsyncDisposable
{
    public const string HubName = "localhub.azure-devices.net";
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private Process? _process;

    public EdgeCtlProcess(string state)
    {
        State = state;
        HttpPort = FreePort();
    }

    public string State { get; }

    public int HttpPort { get; }

    public StringBuilder Output { get; } = new();

    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "EdgeSolution.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("repository root not found");
    }

    public void Start(string manifest, string envFile, params string[] extra)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "edgectl.dll");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in new[]
        {
            dll, "up", "--manifest", manifest, "--env", envFile, "--modules", Path.Combine(RepositoryRoot(), "tests", "modules"),
            "--state", State, "--mqtt-port", "0", "--tls-port", "0", "--http-port", HttpPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--no-azurite", "--no-plant", "--json",
        })
        {
            info.ArgumentList.Add(arg);
        }

        foreach (string arg in extra)
        {
            info.ArgumentList.Add(arg);
        }

        _process = Process.Start(info) ?? throw new InvalidOperationException("edgectl did not start");
        _process.OutputDataReceived += (_, e) => { lock (Output) { Output.AppendLine(e.Data); } };
        _process.ErrorDataReceived += (_, e) => { lock (Output) { Output.AppendLine(e.Data); } };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public bool HasExited => _process?.HasExited ?? true;

    public int ExitCode => _process!.ExitCode;

    /// <summary>Polls the module twin until <paramref name="condition"/> holds.</summary>
    public async Task<JsonNode> WaitForTwinAsync(string deviceId, string moduleId, Func<JsonNode, bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        JsonNode? last = null;
        while (DateTime.UtcNow < deadline)
        {
            Assert.False(HasExited, "edgectl exited: " + OutputText());
            try
            {
                last = await SendAsync(HttpMethod.Get, $"twins/{deviceId}/modules/{moduleId}", null);
                if (last is not null && condition(last))
                {
                    return last;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException or TaskCanceledException)
            {
                // edgectl is still starting (no identities file or API yet).
            }

            await Task.Delay(250);
        }

        throw new TimeoutException($"twin {deviceId}/{moduleId} never satisfied the condition; last: {last?.ToJsonString()}\n{OutputText()}");
    }

    /// <summary>Waits for a `--json` status line that satisfies <paramref name="condition"/>.</summary>
    public async Task<JsonNode> WaitForStatusAsync(Func<JsonNode, bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        int scanned = 0;
        while (DateTime.UtcNow < deadline)
        {
            Assert.False(HasExited, "edgectl exited: " + OutputText());
            string[] lines;
            lock (Output)
            {
                lines = Output.ToString().Split('\n');
            }

            for (; scanned < lines.Length - 1; scanned++)
            {
                string line = lines[scanned].Trim();
                if (!line.StartsWith("{\"time\"", StringComparison.Ordinal))
                {
                    continue;
                }

                var status = JsonNode.Parse(line)!;
                if (condition(status))
                {
                    return status;
                }
            }

            await Task.Delay(250);
        }

        throw new TimeoutException("no status line satisfied the condition\n" + OutputText());
    }

    public Task<JsonNode?> PatchDesiredAsync(string deviceId, string moduleId, JsonObject desired) =>
        SendAsync(HttpMethod.Patch, $"twins/{deviceId}/modules/{moduleId}", new JsonObject { ["properties"] = new JsonObject { ["desired"] = desired } });

    public void KillMinus9()
    {
        _process?.Kill(entireProcessTree: false);
        _process?.WaitForExit();
    }

    /// <summary>
    /// SIGTERM (docker stop, systemd, kill): the same clean stop as Ctrl+C. SIGINT itself cannot be used here: test
    /// runners started as background jobs pass SIGINT on as ignored, and the runtime leaves ignored SIGINT alone.
    /// </summary>
    public async Task<int> TerminateAsync(TimeSpan timeout)
    {
        _ = Kill(_process!.Id, 15);
        await _process.WaitForExitAsync().WaitAsync(timeout);
        return _process.ExitCode;
    }

    public string OutputText()
    {
        lock (Output)
        {
            string text = Output.ToString();
            return text.Length > 6000 ? text[^6000..] : text;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process?.Dispose();
    }

    private async Task<JsonNode?> SendAsync(HttpMethod method, string path, JsonNode? body)
    {
        var identities = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(State, "hub", "identities.json")))!;
        byte[] key = Convert.FromBase64String(identities["serviceKey"]!.GetValue<string>());
        using var request = new HttpRequestMessage(method, new Uri($"http://127.0.0.1:{HttpPort}/{path}"));
        request.Headers.TryAddWithoutValidation("Authorization", SharedAccessSignature.Create(HubName, key, DateTimeOffset.UtcNow.AddHours(1), "service"));
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }

        using var response = await Http.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        return response.IsSuccessStatusCode ? JsonNode.Parse(text) : null;
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
