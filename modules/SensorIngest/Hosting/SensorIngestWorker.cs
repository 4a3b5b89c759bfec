using System.Text.Json.Nodes;
using EdgeKit.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SensorIngest.Configuration;
using SensorIngest.Polling;

namespace SensorIngest.Hosting;

/// <summary>
/// The module: reads the twin, applies desired properties (and later patches) through the validator, runs the pollers,
/// publishes their batches and reports configuration and health every <see cref="ReportInterval"/>.
/// </summary>
public sealed partial class SensorIngestWorker : BackgroundService
{
    public static readonly TimeSpan ReportInterval = TimeSpan.FromSeconds(10);

    private readonly ModuleClient _client;
    private readonly PollingEngine _engine;
    private readonly HubTelemetrySink _sink;
    private readonly TimeProvider _time;
    private readonly ILogger<SensorIngestWorker> _logger;
    private readonly ConfigurationState _state;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private HashSet<string> _reportedSlaves = new(StringComparer.Ordinal);

    public SensorIngestWorker(ModuleClient client, PollingEngine engine, HubTelemetrySink sink, TimeProvider time, IConfiguration configuration, ILogger<SensorIngestWorker> logger)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        _client = client;
        _engine = engine;
        _sink = sink;
        _time = time;
        _logger = logger;
        _state = new ConfigurationState(DefaultConfiguration.FromEndpoint(configuration[DefaultConfiguration.EndpointVariable]));
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        Task sending = _sink.RunAsync(stoppingToken);
        try
        {
            await _client.SetDesiredPropertyUpdateCallbackAsync(OnDesiredPatchAsync, stoppingToken);
            JsonObject desired = await GetDesiredAsync(stoppingToken);
            await ApplyAsync(() => _state.ApplyDesired(desired), stoppingToken);

            using var timer = new PeriodicTimer(ReportInterval, _time);
            do
            {
                await ReportAsync(stoppingToken);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            await _engine.DisposeAsync();
            await sending;
        }
    }

    private Task OnDesiredPatchAsync(JsonObject patch, CancellationToken cancellationToken) =>
        ApplyAsync(() => _state.ApplyPatch(patch), cancellationToken);

    private async Task ApplyAsync(Func<ApplyOutcome> apply, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            IngestConfiguration? before = _engine.Configuration;
            ApplyOutcome outcome = apply();
            if (outcome == ApplyOutcome.Rejected)
            {
                WorkerLog.ConfigurationRejected(_logger, string.Join(" | ", _state.Error!));
            }

            if (_state.Current is { } current && !ReferenceEquals(current, before))
            {
                await _engine.ApplyAsync(current, cancellationToken);
                WorkerLog.ConfigurationApplied(_logger, current.Schema.ToString(), current.Slaves.Count);
            }
            else if (_state.Current is null)
            {
                WorkerLog.NothingToPoll(_logger, DefaultConfiguration.EndpointVariable);
            }
        }
        finally
        {
            _gate.Release();
        }

        await ReportAsync(cancellationToken);
    }

    private async Task<JsonObject> GetDesiredAsync(CancellationToken cancellationToken)
    {
        // edgeHub may come up after the module; keep asking with a capped backoff.
        TimeSpan delay = TimeSpan.FromMilliseconds(500);
        while (true)
        {
            try
            {
                ModuleTwin twin = await _client.GetTwinAsync(cancellationToken);
                return twin.Desired;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                WorkerLog.TwinUnavailable(_logger, ex.Message);
                await Task.Delay(delay, _time, cancellationToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
            }
        }
    }

    private async Task ReportAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<SlaveHealth> health = _engine.Health();
        JsonObject patch;
        HashSet<string> previous;
        lock (_reportedSlaves)
        {
            previous = _reportedSlaves;
            var now = new HashSet<string>(StringComparer.Ordinal);
            foreach (SlaveHealth h in health)
            {
                now.Add(ReportedProperties.Key(h.Name));
                previous.Remove(ReportedProperties.Key(h.Name));
            }

            _reportedSlaves = now;
            patch = ReportedProperties.Build(_engine.Configuration, _state.Error, health, previous, _sink);
        }

        try
        {
            await _client.UpdateReportedPropertiesAsync(patch, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Reported state is refreshed on the next tick; a hub outage must not stop polling.
            WorkerLog.ReportFailed(_logger, ex.Message);
        }
    }

    private static partial class WorkerLog
    {
        [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "Configuration applied ({Schema} schema, {Slaves} slaves)")]
        public static partial void ConfigurationApplied(ILogger logger, string schema, int slaves);

        [LoggerMessage(EventId = 4002, Level = LogLevel.Warning, Message = "Desired configuration rejected, the running one stays: {Problems}")]
        public static partial void ConfigurationRejected(ILogger logger, string problems);

        [LoggerMessage(EventId = 4003, Level = LogLevel.Warning, Message = "No configuration in the twin and {Variable} is not set: nothing to poll")]
        public static partial void NothingToPoll(ILogger logger, string variable);

        [LoggerMessage(EventId = 4004, Level = LogLevel.Warning, Message = "Twin not available yet: {Error}")]
        public static partial void TwinUnavailable(ILogger logger, string error);

        [LoggerMessage(EventId = 4005, Level = LogLevel.Warning, Message = "Reporting properties failed: {Error}")]
        public static partial void ReportFailed(ILogger logger, string error);
    }
}
