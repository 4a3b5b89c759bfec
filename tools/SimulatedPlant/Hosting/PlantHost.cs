using System.Net;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SimulatedPlant.Modbus;
using SimulatedPlant.OpcUa;
using SimulatedPlant.Process;

namespace SimulatedPlant.Hosting;

/// <summary>
/// The simulated plant that `edgectl up` starts: the pump line model advanced on a timer, its Modbus TCP server,
/// its OPC UA server (node-opcua child process) and the HTTP control API (`GET /plant`, `POST /plant/faults/{kind}`,
/// `DELETE /plant/faults[/{kind}]`).
/// </summary>
public sealed class PlantHost : IAsyncDisposable
{
    private readonly PlantHostOptions _options;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly ModbusTcpServer _modbus;
    private readonly OpcUaPlantServer? _opcUa;
    private readonly Channel<PlantSnapshot> _toOpcUa = Channel.CreateBounded<PlantSnapshot>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
    private readonly CancellationTokenSource _stopping = new();
    private WebApplication? _control;
    private ITimer? _timer;
    private Task? _publishLoop;
    private DateTimeOffset _lastPublish = DateTimeOffset.MinValue;
    private int _state; // 0 new, 1 started, 2 stopped

    public PlantHost(PlantHostOptions? options = null, TimeProvider? time = null, ILoggerFactory? loggerFactory = null)
    {
        _options = options ?? new PlantHostOptions();
        _time = time ?? TimeProvider.System;
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        _logger = _loggerFactory.CreateLogger<PlantHost>();
        Model = new PumpLine(_options.Model, _time);
        _modbus = new ModbusTcpServer(
            new PlantModbusMap(Model),
            new ModbusTcpServerOptions { Port = _options.ModbusPort },
            _loggerFactory.CreateLogger<ModbusTcpServer>());
        if (_options.EnableOpcUa)
        {
            _opcUa = new OpcUaPlantServer(
                new OpcUaPlantServerOptions { Port = _options.OpcUaPort, ScriptPath = _options.OpcUaScriptPath, PkiFolder = _options.OpcUaPkiFolder },
                _loggerFactory.CreateLogger<OpcUaPlantServer>());
        }
    }

    /// <summary>The process model; tests and tools may inject faults on it directly.</summary>
    public PumpLine Model { get; }

    public int ModbusPort => _modbus.Port;

    /// <summary>The OPC UA port, or null when OPC UA is disabled.</summary>
    public int? OpcUaPort => _opcUa?.Port;

    public string? OpcUaEndpointUrl => _opcUa?.EndpointUrl;

    public int ControlPort { get; private set; }

    /// <summary>Base URL of the control API, for example http://127.0.0.1:15590.</summary>
    public Uri ControlUrl => new($"http://127.0.0.1:{ControlPort}");

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.CompareExchange(ref _state, 1, 0) != 0)
        {
            throw new InvalidOperationException("The plant host was already started.");
        }

        try
        {
            await _modbus.StartAsync(cancellationToken).ConfigureAwait(false);
            if (_opcUa is not null)
            {
                await _opcUa.StartAsync(cancellationToken).ConfigureAwait(false);
                await _opcUa.PublishAsync(Model.Current, cancellationToken).ConfigureAwait(false);
                _publishLoop = Task.Run(() => PublishLoopAsync(_stopping.Token), CancellationToken.None);
            }

            _control = BuildControlApi();
            await _control.StartAsync(cancellationToken).ConfigureAwait(false);
            string address = _control.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            ControlPort = new Uri(address).Port;
            PlantLog.ControlListening(_logger, ControlUrl.ToString());
            _timer = _time.CreateTimer(_ => Tick(), null, _options.UpdateInterval, _options.UpdateInterval);
        }
        catch
        {
            await StopAsync(CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Stops the timer, the control API, the OPC UA child and the Modbus server. Safe to call twice.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _state, 2) == 2)
        {
            return;
        }

        if (_timer is not null)
        {
            await _timer.DisposeAsync().ConfigureAwait(false);
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        _toOpcUa.Writer.TryComplete();
        if (_control is not null)
        {
            await _control.StopAsync(cancellationToken).ConfigureAwait(false);
            await _control.DisposeAsync().ConfigureAwait(false);
        }

        if (_publishLoop is not null)
        {
            await _publishLoop.ConfigureAwait(false);
        }

        if (_opcUa is not null)
        {
            await _opcUa.DisposeAsync().ConfigureAwait(false);
        }

        await _modbus.DisposeAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        _stopping.Dispose();
    }

    /// <summary>The current state as the control API reports it.</summary>
    public PlantState GetState()
    {
        PlantSnapshot s = Model.Current;
        var values = new Dictionary<string, double>(PlantSignals.Count);
        var units = new Dictionary<string, string>(PlantSignals.Count);
        foreach (SignalInfo info in PlantSignals.All)
        {
            values[info.Name] = Math.Round(s[info.Signal], 6);
            units[info.Name] = info.Unit;
        }

        return new PlantState
        {
            Ts = s.Timestamp,
            Step = s.Step,
            Values = values,
            Units = units,
            Faults = [.. s.ActiveFaults.Select(PlantFaults.Name)],
            StuckSignal = s.StuckSignal is { } stuck ? PlantSignals.Info(stuck).Name : null,
            ModbusPort = ModbusPort,
            OpcUaPort = OpcUaPort,
            OpcUaEndpoint = OpcUaEndpointUrl,
        };
    }

    private void Tick()
    {
        try
        {
            PlantSnapshot snapshot = Model.Update();
            DateTimeOffset now = _time.GetUtcNow();
            if (_opcUa is not null && now - _lastPublish >= _options.OpcUaPublishInterval)
            {
                _lastPublish = now;
                _toOpcUa.Writer.TryWrite(snapshot);
            }
        }
        catch (Exception ex)
        {
            PlantLog.TickFailed(_logger, ex);
        }
    }

    private void Changed(PlantSnapshot snapshot)
    {
        // Fault changes reach OPC UA at once (quality flips on sensor-dropout), not at the next publish slot.
        if (_opcUa is not null)
        {
            _toOpcUa.Writer.TryWrite(snapshot);
        }
    }

    private async Task PublishLoopAsync(CancellationToken ct)
    {
        try
        {
            await foreach (PlantSnapshot snapshot in _toOpcUa.Reader.ReadAllAsync(ct).ConfigureAwait(false))
            {
                try
                {
                    await _opcUa!.PublishAsync(snapshot, ct).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is IOException or InvalidOperationException)
                {
                    PlantLog.TickFailed(_logger, ex);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    private WebApplication BuildControlApi()
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = typeof(PlantHost).Assembly.GetName().Name });
        builder.Logging.ClearProviders();

        // The plant is embedded in other processes (edgectl): their owner handles SIGINT/SIGTERM, not the control API.
        builder.Services.AddSingleton<IHostLifetime, EmbeddedLifetime>();
        builder.Services.AddSingleton(_loggerFactory);
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, PlantJsonContext.Default));
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, _options.ControlPort));
        WebApplication app = builder.Build();

        app.MapGet("/plant", () => TypedResults.Ok(GetState()));
        app.MapPost("/plant/faults/{kind}", (string kind, string? signal) =>
        {
            if (string.Equals(kind, "clear", StringComparison.OrdinalIgnoreCase))
            {
                Changed(Model.ClearFaults());
                PlantLog.FaultsCleared(_logger);
                return Results.Ok(GetState());
            }

            if (!PlantFaults.TryParse(kind, out PlantFault fault))
            {
                return Results.BadRequest(new PlantError($"unknown fault '{kind}'", [.. PlantFaults.AllNames, "clear"]));
            }

            PlantSignal? stuck = null;
            if (signal is not null)
            {
                if (!PlantSignals.TryParse(signal, out PlantSignal parsed))
                {
                    return Results.BadRequest(new PlantError($"unknown signal '{signal}'", [.. PlantSignals.All.Select(i => i.Name)]));
                }

                stuck = parsed;
            }

            Changed(Model.InjectFault(fault, stuck));
            PlantLog.FaultInjected(_logger, PlantFaults.Name(fault));
            return Results.Ok(GetState());
        });
        app.MapDelete("/plant/faults", () =>
        {
            Changed(Model.ClearFaults());
            PlantLog.FaultsCleared(_logger);
            return TypedResults.Ok(GetState());
        });
        app.MapDelete("/plant/faults/{kind}", (string kind) =>
        {
            if (!PlantFaults.TryParse(kind, out PlantFault fault))
            {
                return Results.BadRequest(new PlantError($"unknown fault '{kind}'", PlantFaults.AllNames));
            }

            Changed(Model.ClearFault(fault));
            return Results.Ok(GetState());
        });
        return app;
    }

    private sealed class EmbeddedLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
