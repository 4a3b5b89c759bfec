using Microsoft.Extensions.Logging;
using SensorIngest.Configuration;

namespace SensorIngest.Polling;

/// <summary>
/// Runs one <see cref="SlavePoller"/> per configured slave, each on its own task, so a slow or silent slave never
/// delays the others. <see cref="ApplyAsync"/> swaps the whole set when the configuration changes.
/// </summary>
public sealed class PollingEngine : IAsyncDisposable
{
    private readonly ITelemetrySink _sink;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory? _loggerFactory;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private List<(SlavePoller Poller, Task Run)> _running = [];
    private CancellationTokenSource? _cts;

    public PollingEngine(ITelemetrySink sink, TimeProvider? time = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(sink);
        _sink = sink;
        _time = time ?? TimeProvider.System;
        _loggerFactory = loggerFactory;
    }

    /// <summary>The configuration the pollers run, null before the first apply.</summary>
    public IngestConfiguration? Configuration { get; private set; }

    /// <summary>Health of every running slave.</summary>
    public IReadOnlyList<SlaveHealth> Health()
    {
        List<(SlavePoller Poller, Task Run)> running = Volatile.Read(ref _running);
        var health = new List<SlaveHealth>(running.Count);
        foreach ((SlavePoller poller, _) in running)
        {
            health.Add(poller.Health);
        }

        return health;
    }

    /// <summary>Stops the running pollers and starts one per slave of <paramref name="configuration"/>.</summary>
    public async Task ApplyAsync(IngestConfiguration configuration, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await StopAsync().ConfigureAwait(false);
            _cts = new CancellationTokenSource();
            var running = new List<(SlavePoller, Task)>(configuration.Slaves.Count);
            foreach (SlaveConfiguration slave in configuration.Slaves)
            {
                var poller = new SlavePoller(slave, _sink, _time, _loggerFactory?.CreateLogger("SensorIngest.Polling." + slave.Name));
                CancellationToken token = _cts.Token;
                running.Add((poller, Task.Run(() => poller.RunAsync(token), CancellationToken.None)));
            }

            Configuration = configuration;
            Volatile.Write(ref _running, running);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task StopAsync()
    {
        List<(SlavePoller Poller, Task Run)> running = _running;
        if (_cts is not null)
        {
            await _cts.CancelAsync().ConfigureAwait(false);
        }

        foreach ((SlavePoller poller, Task run) in running)
        {
            try
            {
                await run.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Stopping is the expected end of a poll loop.
            }

            await poller.DisposeAsync().ConfigureAwait(false);
        }

        _cts?.Dispose();
        _cts = null;
        Volatile.Write(ref _running, []);
    }

    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            await StopAsync().ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }
}
