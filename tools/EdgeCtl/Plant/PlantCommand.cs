using System.CommandLine;
using SimulatedPlant.Hosting;
using SimulatedPlant.Process;

namespace EdgeCtl.Plant;

/// <summary>`edgectl plant`: control the simulated plant (docs/simulated-plant.md).</summary>
internal static class PlantCommand
{
    public const string DefaultUrl = "http://127.0.0.1:15590";

    public static Command Create()
    {
        var command = new Command("plant", "control the simulated plant");
        command.Subcommands.Add(CreateFault());
        command.Subcommands.Add(CreateStatus());
        command.Subcommands.Add(CreateRun());
        return command;
    }

    private static Option<string> UrlOption() => new("--url")
    {
        Description = "control API of the running plant",
        DefaultValueFactory = _ => DefaultUrl,
    };

    private static Command CreateFault()
    {
        var kind = new Argument<string>("kind")
        {
            Description = $"one of {string.Join(", ", PlantFaults.AllNames)}, clear",
        };
        kind.AcceptOnlyFromAmong([.. PlantFaults.AllNames, "clear"]);
        var signal = new Option<string?>("--signal") { Description = "for sensor-stuck: the signal that freezes (default temperature)" };
        Option<string> url = UrlOption();
        var command = new Command("fault", "inject a fault into the running plant, or clear all faults");
        command.Arguments.Add(kind);
        command.Options.Add(signal);
        command.Options.Add(url);
        command.SetAction(async (parseResult, ct) =>
        {
            string k = parseResult.GetValue(kind)!;
            string? s = parseResult.GetValue(signal);
            using var http = new HttpClient { BaseAddress = new Uri(parseResult.GetValue(url)!), Timeout = TimeSpan.FromSeconds(10) };
            string path = s is null ? $"plant/faults/{Uri.EscapeDataString(k)}" : $"plant/faults/{Uri.EscapeDataString(k)}?signal={Uri.EscapeDataString(s)}";
            return await CallAsync(http, () => string.Equals(k, "clear", StringComparison.OrdinalIgnoreCase)
                ? http.DeleteAsync(new Uri("plant/faults", UriKind.Relative), ct)
                : http.PostAsync(new Uri(path, UriKind.Relative), content: null, ct), ct);
        });
        return command;
    }

    /// <summary>Calls the plant's control API; an unreachable plant is a clear message and exit code 1, not a stack trace.</summary>
    private static async Task<int> CallAsync(HttpClient http, Func<Task<HttpResponseMessage>> call, CancellationToken ct)
    {
        try
        {
            using HttpResponseMessage response = await call();
            return await PrintAsync(response, ct);
        }
        catch (HttpRequestException ex)
        {
            await Console.Error.WriteLineAsync($"edgectl plant: the plant's control API at {http.BaseAddress} is not reachable ({ex.Message}); is `edgectl up` or `edgectl plant run` running?");
            return 1;
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync($"edgectl plant: the plant's control API at {http.BaseAddress} did not answer within {http.Timeout.TotalSeconds} s");
            return 1;
        }
    }

    private static Command CreateStatus()
    {
        Option<string> url = UrlOption();
        var command = new Command("status", "print the plant's current values and active faults");
        command.Options.Add(url);
        command.SetAction(async (parseResult, ct) =>
        {
            using var http = new HttpClient { BaseAddress = new Uri(parseResult.GetValue(url)!), Timeout = TimeSpan.FromSeconds(10) };
            return await CallAsync(http, () => http.GetAsync(new Uri("plant", UriKind.Relative), ct), ct);
        });
        return command;
    }

    private static Command CreateRun()
    {
        var modbusPort = new Option<int>("--modbus-port") { DefaultValueFactory = _ => PlantHostOptions.DefaultModbusPort, Description = "Modbus TCP port (0 = free port)" };
        var opcUaPort = new Option<int>("--opcua-port") { DefaultValueFactory = _ => PlantHostOptions.DefaultOpcUaPort, Description = "OPC UA port (0 = free port)" };
        var controlPort = new Option<int>("--control-port") { DefaultValueFactory = _ => PlantHostOptions.DefaultControlPort, Description = "HTTP control API port" };
        var noOpcUa = new Option<bool>("--no-opcua") { Description = "run without the node-opcua server" };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 1, Description = "random seed of the process model" };
        var command = new Command("run", "run the simulated plant in the foreground until Ctrl+C");
        command.Options.Add(modbusPort);
        command.Options.Add(opcUaPort);
        command.Options.Add(controlPort);
        command.Options.Add(noOpcUa);
        command.Options.Add(seed);
        command.SetAction(async (parseResult, ct) =>
        {
            var options = new PlantHostOptions
            {
                Model = new PumpLineOptions { Seed = parseResult.GetValue(seed) },
                ModbusPort = parseResult.GetValue(modbusPort),
                OpcUaPort = parseResult.GetValue(opcUaPort),
                ControlPort = parseResult.GetValue(controlPort),
                EnableOpcUa = !parseResult.GetValue(noOpcUa),
            };
            await using var host = new PlantHost(options);
            await host.StartAsync(ct);
            Console.WriteLine($"modbus tcp://127.0.0.1:{host.ModbusPort}");
            if (host.OpcUaEndpointUrl is not null)
            {
                Console.WriteLine($"opcua {host.OpcUaEndpointUrl}");
            }

            Console.WriteLine($"control {host.ControlUrl}");
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException)
            {
                // Ctrl+C.
            }

            await host.StopAsync(CancellationToken.None);
            return 0;
        });
        return command;
    }

    private static async Task<int> PrintAsync(HttpResponseMessage response, CancellationToken ct)
    {
        string body = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode)
        {
            await Console.Error.WriteLineAsync($"plant: {(int)response.StatusCode} {response.ReasonPhrase}: {body}");
            return 1;
        }

        PlantState? state = System.Text.Json.JsonSerializer.Deserialize(body, PlantJsonContext.Default.PlantState);
        Console.WriteLine(body);
        if (state is not null)
        {
            Console.WriteLine(state.Faults.Count == 0 ? "faults: none" : $"faults: {string.Join(", ", state.Faults)}");
        }

        return 0;
    }
}
