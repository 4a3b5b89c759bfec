using System.CommandLine;

namespace EdgeCtl.Up;

/// <summary>`edgectl up`: runs the deployment manifest locally (hub, modules as processes, Azurite, simulated plant).</summary>
internal static class UpCommand
{
    public static Command Create()
    {
        var manifest = new Option<string>("--manifest") { Description = "deployment template or manifest", DefaultValueFactory = _ => "deployment.template.json" };
        var env = new Option<string?>("--env") { Description = ".env file with the template's variables (default: .env beside the manifest, if present)" };
        var devices = new Option<int>("--devices") { Description = "number of simulated devices, each with its own modules, twins and routes", DefaultValueFactory = _ => 1 };
        var deviceId = new Option<string>("--device-id") { Description = "device id (prefix with --devices N > 1)", DefaultValueFactory = _ => "edge-device" };
        var state = new Option<string>("--state") { Description = "state folder (store, twins, logs, Azurite data)", DefaultValueFactory = _ => ".edge" };
        var modules = new Option<string?>("--modules") { Description = "folder of module projects (default: modules/ beside the manifest)" };
        var platform = new Option<string>("--platform") { Description = "platform for ${MODULES.X}", DefaultValueFactory = _ => "amd64" };
        var mqttPort = new Option<int>("--mqtt-port") { Description = "hub MQTT port (0 = free port)", DefaultValueFactory = _ => 1883 };
        var tlsPort = new Option<int>("--tls-port") { Description = "hub MQTT over TLS port (modules connect here; 0 = free port)", DefaultValueFactory = _ => 8883 };
        var httpPort = new Option<int>("--http-port") { Description = "hub HTTP API port (service REST, workload API, status)", DefaultValueFactory = _ => 15580 };
        var noAzurite = new Option<bool>("--no-azurite") { Description = "do not start Azurite" };
        var noPlant = new Option<bool>("--no-plant") { Description = "do not start the simulated plant" };
        var json = new Option<bool>("--json") { Description = "status as JSON lines (for scripts)" };
        var duration = new Option<int?>("--duration") { Description = "stop after this many seconds" };
        var command = new Command("up", "run the deployment manifest locally: edgeHub, modules as processes, Azurite, simulated plant")
        {
            manifest, env, devices, deviceId, state, modules, platform, mqttPort, tlsPort, httpPort, noAzurite, noPlant, json, duration,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var options = new UpOptions
            {
                Manifest = parse.GetValue(manifest)!,
                EnvFile = parse.GetValue(env),
                Devices = parse.GetValue(devices),
                DeviceId = parse.GetValue(deviceId)!,
                State = parse.GetValue(state)!,
                ModulesRoot = parse.GetValue(modules),
                Platform = parse.GetValue(platform)!,
                MqttPort = parse.GetValue(mqttPort),
                TlsPort = parse.GetValue(tlsPort),
                HttpPort = parse.GetValue(httpPort),
                Azurite = !parse.GetValue(noAzurite),
                Plant = !parse.GetValue(noPlant),
                Json = parse.GetValue(json),
                Duration = parse.GetValue(duration) is int seconds ? TimeSpan.FromSeconds(seconds) : null,
            };
            return await UpRunner.RunAsync(options, Console.Out, Console.Error, cancellationToken).ConfigureAwait(false);
        });
        return command;
    }
}
