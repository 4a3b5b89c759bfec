using System.Globalization;
using System.Net.Sockets;
using System.Text.Json;
using EdgeCtl.Manifest;
using EdgeCtl.Supervisor;
using EdgeHub.Hosting;
using EdgeHub.Mqtt;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EdgeCtl.Up;

/// <summary>
/// The whole local run: validates and resolves the manifest, hosts the local edgeHub (MQTT, TLS, HTTP API) for N devices,
/// starts Azurite and the simulated plant, builds and supervises every custom module of every device with the
/// environment edgeAgent would give it, shows status, and stops everything on Ctrl+C.
/// </summary>
public static class UpRunner
{
    public static async Task<int> RunAsync(UpOptions options, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        var optionProblems = options.Validate();
        if (optionProblems.Count > 0)
        {
            foreach (string problem in optionProblems)
            {
                await error.WriteLineAsync("edgectl up: " + problem).ConfigureAwait(false);
            }

            return 2;
        }

        string state = Path.GetFullPath(options.State);
        Directory.CreateDirectory(state);
        var (manifest, problems) = ManifestSource.Load(options, state);
        if (manifest is null || problems.Count > 0)
        {
            foreach (var problem in problems)
            {
                await error.WriteLineAsync(problem.ToString()).ConfigureAwait(false);
            }

            await error.WriteLineAsync($"edgectl up: {problems.Count} problem(s) in {options.Manifest}; nothing was started").ConfigureAwait(false);
            return 1;
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; });
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.Logging.AddFilter("EdgeHub.Api", LogLevel.Warning);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(20));
        builder.Services.AddSingleton(TimeProvider.System);

        // edgectl handles SIGINT/SIGTERM itself (modules first, then the hub); the console lifetime would stop the hub
        // underneath the modules and end the process before they are down.
        builder.Services.AddSingleton<IHostLifetime, ManualLifetime>();
        int mqttPort = options.MqttPort == 0 ? HealthProbe.FreePort() : options.MqttPort;
        int tlsPort = options.TlsPort == 0 ? HealthProbe.FreePort() : options.TlsPort;
        int httpPort = options.HttpPort == 0 ? HealthProbe.FreePort() : options.HttpPort;
        foreach (var (what, port) in new[] { ("MQTT (--mqtt-port)", mqttPort), ("MQTT over TLS (--tls-port)", tlsPort), ("HTTP API (--http-port)", httpPort) })
        {
            if (port > 0 && !HealthProbe.IsFree(port))
            {
                await error.WriteLineAsync($"edgectl up: port {port} for the hub's {what} is already in use; stop what holds it or pass another port").ConfigureAwait(false);
                return 1;
            }
        }

        var hubOptions = new HubHostOptions
        {
            State = Path.Combine(state, "hub"),
            MqttPort = mqttPort,
            TlsPort = tlsPort,
            HttpPort = httpPort,
            IotHubHostName = options.IotHubHostName,
            GatewayHostName = "localhost",
        };
        var hubConfiguration = new HubConfiguration { IotHubHostName = options.IotHubHostName };
        foreach (string id in options.DeviceIds())
        {
            hubConfiguration.Devices.Add(HubConfiguration.DeviceFromManifest(id, manifest.Resolved));
        }

        builder.Services.AddLocalHub(hubOptions, hubConfiguration);
        builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, httpPort));
        await using var app = builder.Build();
        try
        {
            // Opens the store, which holds `store.lock`: from here on this run owns the state folder.
            app.MapLocalHub();
        }
        catch (EdgeHub.Storage.MessageStoreException ex)
        {
            await error.WriteLineAsync($"edgectl up: the state folder {state} is in use or damaged: {ex.Message}").ConfigureAwait(false);
            return 1;
        }

        var loggerFactory = app.Services.GetRequiredService<ILoggerFactory>();
        var logger = loggerFactory.CreateLogger("edgectl");
        foreach (var (pid, what) in ProcessFile.StopLeftovers(state))
        {
            UpLog.StaleProcessStopped(logger, pid, what);
        }

        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or InvalidOperationException)
        {
            await error.WriteLineAsync("edgectl up: the local edgeHub could not start: " + ex.Message).ConfigureAwait(false);
            return 1;
        }

        var hub = app.Services.GetRequiredService<EdgeHubServer>();
        UpLog.Starting(logger, hubConfiguration.Devices.Count, manifest.Modules.Count, hub.MqttPort, hub.MqttTlsPort, httpPort, state);
        var pids = new Dictionary<string, int>(StringComparer.Ordinal);
        var peers = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["EDGECTL_STATE"] = state,
            ["EDGECTL_HUB_API"] = $"http://127.0.0.1:{httpPort}",
        };

        await using var azurite = new AzuriteProcess(logger);
        if (options.Azurite)
        {
            string? script = AzuriteProcess.Find(Path.GetDirectoryName(Path.GetFullPath(options.Manifest))!) ?? AzuriteProcess.Find(AppContext.BaseDirectory);
            if (script is null)
            {
                UpLog.PeerFailed(logger, "Azurite", "node_modules/azurite not found (run scripts/install-deps.sh)");
            }
            else
            {
                try
                {
                    await azurite.StartAsync(script, Path.Combine(state, "azurite"), options.AzuriteBlobPort, options.AzuriteBlobPort == 0 ? 0 : options.AzuriteBlobPort + 1, options.AzuriteBlobPort == 0 ? 0 : options.AzuriteBlobPort + 2, cancellationToken).ConfigureAwait(false);
                    pids["azurite"] = azurite.ProcessId ?? 0;
                    peers["AZURE_STORAGE_CONNECTION_STRING"] = azurite.ConnectionString;
                }
                catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or System.ComponentModel.Win32Exception)
                {
                    UpLog.PeerFailed(logger, "Azurite", ex.Message);
                }
            }
        }

        await using var plant = options.Plant ? await PlantRunner.TryStartAsync(options, state, peers, pids, logger, loggerFactory, cancellationToken).ConfigureAwait(false) : null;

        var launches = new List<ModuleLaunch>();
        foreach (var device in hubConfiguration.Devices)
        {
            foreach (var spec in manifest.Modules)
            {
                string? project = ModuleProjects.Find(manifest, spec, options);
                if (project is null)
                {
                    UpLog.NoProject(logger, spec.Name, spec.ModuleFolder ?? "(image without ${MODULES.X})");
                    continue;
                }

                var environment = new Dictionary<string, string>(peers, StringComparer.Ordinal);
                foreach (var (key, value) in spec.Environment)
                {
                    environment[key] = value;
                }

                foreach (var (key, value) in EdgeEnvironment.For(device.DeviceId, spec.Name, options.IotHubHostName, httpPort, hub.MqttTlsPort > 0 ? hub.MqttTlsPort : hub.MqttPort, hub.MqttTlsPort > 0))
                {
                    environment[key] = value;
                }

                launches.Add(new ModuleLaunch(device.DeviceId, spec, project, environment));
            }
        }

        await using var supervisor = ModuleHost.Create(state, loggerFactory, output, options.Json);
        await supervisor.StartAsync(launches, cancellationToken).ConfigureAwait(false);
        ModuleHost.AddPids(supervisor, pids);
        ProcessFile.Write(state, pids);

        var reporter = new StatusReporter(hub, supervisor, options.Json, output);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);

        // Ctrl+C, SIGTERM (docker stop, systemd) and SIGQUIT end the run cleanly; registered here so that they work
        // even when the parent started us with SIGINT ignored (background jobs of a non-interactive shell).
        using var sigint = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, Stop);
        using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, Stop);
        using var sigquit = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGQUIT, Stop);
        void Stop(System.Runtime.InteropServices.PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }

        if (options.Duration is { } duration)
        {
            stop.CancelAfter(duration);
        }

        try
        {
            while (!stop.IsCancellationRequested)
            {
                await Task.Delay(options.StatusInterval, stop.Token).ConfigureAwait(false);
                ModuleHost.AddPids(supervisor, pids);
                ProcessFile.Write(state, pids);
                await reporter.WriteAsync().ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }

        using var shutdown = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await supervisor.StopAsync(shutdown.Token).ConfigureAwait(false);
        await app.StopAsync(shutdown.Token).ConfigureAwait(false);
        File.Delete(ProcessFile.PathOf(state));
        await reporter.WriteAsync().ConfigureAwait(false);
        return 0;
    }
}

/// <summary>A host lifetime that leaves signals to the caller.</summary>
internal sealed class ManualLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>The variables edgeAgent gives a module (IOTEDGE_*), pointing at the local hub and its workload API.</summary>
public static class EdgeEnvironment
{
    public static IEnumerable<KeyValuePair<string, string>> For(string deviceId, string moduleId, string iotHubHostName, int httpPort, int mqttPort, bool tls)
    {
        yield return new("IOTEDGE_DEVICEID", deviceId);
        yield return new("IOTEDGE_MODULEID", moduleId);
        yield return new("IOTEDGE_IOTHUBHOSTNAME", iotHubHostName);
        yield return new("IOTEDGE_GATEWAYHOSTNAME", "localhost");
        yield return new("IOTEDGE_WORKLOADURI", $"http://127.0.0.1:{httpPort.ToString(CultureInfo.InvariantCulture)}/workload/{deviceId}/");
        yield return new("IOTEDGE_MODULEGENERATIONID", "1");
        yield return new("IOTEDGE_AUTHSCHEME", "sasToken");
        yield return new("IOTEDGE_APIVERSION", "2018-06-28");
        yield return new("EdgeKit__Port", mqttPort.ToString(CultureInfo.InvariantCulture));
        yield return new("EdgeKit__UseTls", tls ? "true" : "false");
        yield return new("RuntimeLogLevel", "info");
    }
}

/// <summary>Finds the project of a module: the single .csproj in its module folder.</summary>
internal static class ModuleProjects
{
    public static string? Find(DeploymentManifest manifest, ModuleSpec spec, UpOptions options)
    {
        if (spec.ModuleFolder is null)
        {
            return null;
        }

        string root = options.ModulesRoot ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(manifest.SourcePath))!, "modules");
        string folder = Path.Combine(root, spec.ModuleFolder);
        if (!Directory.Exists(folder))
        {
            return null;
        }

        var projects = Directory.GetFiles(folder, "*.csproj");
        return projects.Length == 1 ? projects[0] : null;
    }
}

/// <summary>Status of the hub and modules, printed every few seconds (a table, or JSON lines with --json).</summary>
internal sealed class StatusReporter(EdgeHubServer hub, ModuleSupervisor supervisor, bool json, TextWriter output)
{
    public async Task WriteAsync()
    {
        var modules = ModuleHost.Rows(supervisor);
        var routes = hub.RouteStatistics();
        var twin = hub.Twins.LastChange;
        long upstream = hub.Upstream.LastSequenceNumber + 1;
        if (json)
        {
            var doc = new System.Text.Json.Nodes.JsonObject
            {
                ["time"] = DateTimeOffset.UtcNow.ToString("o", CultureInfo.InvariantCulture),
                ["modules"] = new System.Text.Json.Nodes.JsonArray([.. modules.Select(m => (System.Text.Json.Nodes.JsonNode)new System.Text.Json.Nodes.JsonObject
                {
                    ["device"] = m.Device, ["module"] = m.Module, ["state"] = m.State, ["restarts"] = m.Restarts, ["pid"] = m.Pid,
                })]),
                ["routes"] = new System.Text.Json.Nodes.JsonArray([.. routes.Select(r => (System.Text.Json.Nodes.JsonNode)new System.Text.Json.Nodes.JsonObject
                {
                    ["device"] = r.DeviceId, ["route"] = r.RouteName, ["messages"] = r.Messages,
                })]),
                ["upstreamMessages"] = upstream,
                ["connectedModules"] = hub.ConnectedModules,
                ["lastTwinChange"] = twin is null ? null : $"{twin.DeviceId}/{twin.ModuleId} {twin.Section} v{twin.Version} at {twin.At:o}",
            };
            await output.WriteLineAsync(doc.ToJsonString()).ConfigureAwait(false);
            return;
        }

        var text = new System.Text.StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"---- edgectl up {DateTime.Now:HH:mm:ss}  connected modules {hub.ConnectedModules}  upstream messages {upstream}  last twin change {(twin is null ? "-" : $"{twin.DeviceId}/{twin.ModuleId} {twin.Section} v{twin.Version}")}");
        text.AppendLine(CultureInfo.InvariantCulture, $"  {"MODULE",-40} {"STATE",-10} {"RESTARTS",8} {"PID",8}");
        foreach (var m in modules)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  {m.Device + "/" + m.Module,-40} {m.State,-10} {m.Restarts,8} {m.Pid,8}");
        }

        text.AppendLine(CultureInfo.InvariantCulture, $"  {"ROUTE",-40} {"MESSAGES",10}");
        foreach (var r in routes)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  {r.DeviceId + "/" + r.RouteName,-40} {r.Messages,10}");
        }

        await output.WriteAsync(text.ToString()).ConfigureAwait(false);
    }
}

/// <summary>One row of module status.</summary>
internal sealed record ModuleRow(string Device, string Module, string State, int Restarts, int? Pid);
