using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using EdgeHub.Mqtt;

namespace EdgeHub.Tests.Support;

/// <summary>The hub as a separate OS process (tools/EdgeHub), so that tests can kill -9 it and restart it on the same state.</summary>
public sealed class HubProcess : IAsyncDisposable
{
    private Process? _process;

    public HubProcess(JsonObject routes)
    {
        State = Path.Combine(Path.GetTempPath(), "edgehub-proc-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(State);
        ConfigPath = Path.Combine(State, "hub.json");
        var modules = new JsonArray
        {
            new JsonObject { ["moduleId"] = "sender", ["primaryKey"] = HubTestHost.Key("sender") },
            new JsonObject { ["moduleId"] = "receiver", ["primaryKey"] = HubTestHost.Key("receiver"), ["desired"] = new JsonObject { ["threshold"] = 5 } },
        };
        var config = new JsonObject
        {
            ["iotHubHostName"] = HubTestHost.HubName,
            ["devices"] = new JsonArray { new JsonObject { ["deviceId"] = HubTestHost.DeviceId, ["routes"] = routes, ["modules"] = modules } },
        };
        File.WriteAllText(ConfigPath, config.ToJsonString());
        MqttPort = FreePort();
        HttpPort = FreePort();
    }

    public string State { get; }

    public string ConfigPath { get; }

    public int MqttPort { get; }

    public int HttpPort { get; }

    public StringWriter Output { get; } = new();

    public async Task StartAsync()
    {
        string dll = typeof(EdgeHubServer).Assembly.Location;
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in new[] { dll, "--config", ConfigPath, "--state", Path.Combine(State, "hub"), "--mqtt-port", MqttPort.ToString(System.Globalization.CultureInfo.InvariantCulture), "--http-port", HttpPort.ToString(System.Globalization.CultureInfo.InvariantCulture), "--tls-port", "0" })
        {
            info.ArgumentList.Add(arg);
        }

        _process = Process.Start(info) ?? throw new InvalidOperationException("could not start the hub");
        _process.OutputDataReceived += (_, e) => { lock (Output) { Output.WriteLine(e.Data); } };
        _process.ErrorDataReceived += (_, e) => { lock (Output) { Output.WriteLine(e.Data); } };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        using var http = new HttpClient();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException("the hub exited at start: " + Output);
            }

            try
            {
                var response = await http.GetAsync(new Uri($"http://127.0.0.1:{HttpPort}/health/ready"));
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(100);
        }

        throw new TimeoutException("the hub did not become ready: " + Output);
    }

    /// <summary>SIGKILL: no shutdown code runs.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process?.Dispose();
        _process = null;
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        try
        {
            Directory.Delete(State, recursive: true);
        }
        catch (IOException)
        {
        }

        return ValueTask.CompletedTask;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
