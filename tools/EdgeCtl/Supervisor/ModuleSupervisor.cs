using EdgeCtl.Manifest;
using Microsoft.Extensions.Logging;

namespace EdgeCtl.Supervisor;

/// <summary>
/// edgeAgent's job for local processes: builds each module's project, starts the modules in startupOrder,
/// restarts them by their restart policy with edgeAgent's cool-off, checks their health and stops them like docker stop.
/// See docs/edgectl-supervisor.md.
/// </summary>
public sealed class ModuleSupervisor : IAsyncDisposable
{
    private readonly SupervisorOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly SupervisorMetrics _metrics = new();
    private readonly HealthProbe _probe;
    private readonly ModuleBuilder _builder;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _lock = new();
    private readonly List<ModuleRunner> _runners = [];
    private readonly List<Task> _loops = [];
    private int _started;
    private int _disposed;

    public ModuleSupervisor(SupervisorOptions options, ILoggerFactory loggerFactory, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        ArgumentNullException.ThrowIfNull(timeProvider);
        options.Validate();
        _options = options;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger("EdgeCtl.Supervisor");
        _time = timeProvider;
        _probe = new HealthProbe(options.HealthRequestTimeout);
        _builder = new ModuleBuilder(options, _logger, _metrics);
    }

    /// <summary>Raised on every status change (on the thread that made it; handlers must not block).</summary>
    public event EventHandler<ModuleStatus>? StatusChanged;

    /// <summary>
    /// Starts the modules group by group in ascending <see cref="ModuleSpec.StartupOrder"/>: a group starts once every
    /// module of the lower groups has a running process (or could not start). Modules with desired status <c>stopped</c>
    /// are registered but not started. Returns when the last group has been started; the modules keep running until
    /// <see cref="StopAsync"/>. Cancelling <paramref name="ct"/> only stops the start sequence.
    /// </summary>
    public async Task StartAsync(IReadOnlyList<ModuleLaunch> modules, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(modules);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (Interlocked.Exchange(ref _started, 1) != 0) throw new InvalidOperationException("The supervisor was already started.");

        List<string> duplicates = modules.GroupBy(m => m.Key, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        if (duplicates.Count > 0) throw new ArgumentException($"Modules listed twice: {string.Join(", ", duplicates)}", nameof(modules));

        Directory.CreateDirectory(_options.StateDirectory);
        List<ModuleRunner> runners = [];
        lock (_lock)
        {
            foreach (ModuleLaunch launch in modules)
            {
                var runner = new ModuleRunner(launch, _options, _loggerFactory, _time, _builder, _probe, _metrics, OnChanged);
                _runners.Add(runner);
                runners.Add(runner);
            }
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, _stopping.Token);
        foreach (IGrouping<int, ModuleRunner> group in runners.GroupBy(r => r.Launch.Spec.StartupOrder).OrderBy(g => g.Key))
        {
            List<Task> firstStarts = [];
            foreach (ModuleRunner runner in group)
            {
                if (string.Equals(runner.Launch.Spec.Status, "stopped", StringComparison.OrdinalIgnoreCase))
                {
                    runner.MarkNotStarted();
                    continue;
                }

                lock (_lock)
                {
                    if (_stopping.IsCancellationRequested) return;
                    _loops.Add(Task.Run(() => runner.RunAsync(_stopping.Token), CancellationToken.None));
                }

                firstStarts.Add(runner.FirstStart);
            }

            await Task.WhenAll(firstStarts).WaitAsync(linked.Token).ConfigureAwait(false);
        }
    }

    /// <summary>The status of every registered module, in startup order.</summary>
    public IReadOnlyList<ModuleStatus> Snapshot()
    {
        lock (_lock)
        {
            return _runners.OrderBy(r => r.Launch.Spec.StartupOrder).ThenBy(r => r.Key, StringComparer.Ordinal).Select(r => r.Status).ToList();
        }
    }

    /// <summary>
    /// Stops every module in parallel: SIGTERM to its process tree, up to <see cref="SupervisorOptions.StopTimeout"/>,
    /// then a kill of the tree. Returns when every loop ended, or when <paramref name="ct"/> is cancelled.
    /// </summary>
    public async Task StopAsync(CancellationToken ct)
    {
        Task[] loops;
        lock (_lock)
        {
            if (!_stopping.IsCancellationRequested) _stopping.Cancel();
            loops = [.. _loops];
        }

        await Task.WhenAll(loops).WaitAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Stops the modules (bounded by twice the stop timeout) and releases everything; safe to call twice.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        using (var bound = new CancellationTokenSource(_options.StopTimeout + _options.StopTimeout + TimeSpan.FromSeconds(5)))
        {
            try
            {
                await StopAsync(bound.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                SupervisorLog.Failed(_logger, "*", "modules did not stop within the dispose bound");
            }
        }

        lock (_lock)
        {
            foreach (ModuleRunner runner in _runners) runner.Dispose();
        }

        _probe.Dispose();
        _builder.Dispose();
        _metrics.Dispose();
        _stopping.Dispose();
    }

    private void OnChanged(ModuleStatus status)
    {
        try
        {
            StatusChanged?.Invoke(this, status);
        }
        catch (Exception ex)
        {
            SupervisorLog.LoopFailed(_logger, status.Key, ex.Message, ex);
        }
    }
}
