using System.Collections.Concurrent;
using EdgeCtl.Manifest;
using EdgeCtl.Supervisor;
using TestSupport;

namespace EdgeCtl.Tests.Supervisor;

/// <summary>A supervisor over a temp state folder with a manual clock, recording every status change and console line.</summary>
internal sealed class SupervisorHarness : IAsyncDisposable
{
    private readonly List<ModuleStatus> _history = [];

    public SupervisorHarness(Func<SupervisorOptions, SupervisorOptions>? configure = null, TimeProvider? time = null)
    {
        StateDirectory = Path.Combine(Path.GetTempPath(), "edgectl-sup-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(StateDirectory);
        Time = time ?? new ManualTimeProvider(new DateTimeOffset(2026, 11, 25, 8, 0, 0, TimeSpan.Zero));
        var options = new SupervisorOptions
        {
            StateDirectory = StateDirectory,
            Console = (key, line, isError) => ConsoleLines.Enqueue((key, line, isError)),
        };
        Options = configure?.Invoke(options) ?? options;
        Supervisor = new ModuleSupervisor(Options, Logs, Time);
        Supervisor.StatusChanged += (_, status) =>
        {
            lock (_history) _history.Add(status);
        };
    }

    public string StateDirectory { get; }

    public TimeProvider Time { get; }

    public ManualTimeProvider Clock => (ManualTimeProvider)Time;

    public SupervisorOptions Options { get; }

    public ListLoggerProvider Logs { get; } = new();

    public ModuleSupervisor Supervisor { get; }

    public ConcurrentQueue<(string Key, string Line, bool IsError)> ConsoleLines { get; } = new();

    public IReadOnlyList<ModuleStatus> History
    {
        get
        {
            lock (_history) return [.. _history];
        }
    }

    public static ModuleSpec Spec(string name, RestartPolicy policy, int startupOrder = 0, string status = "running") =>
        new(name, null, name + ":local", status, policy, startupOrder, new Dictionary<string, string>(), null, null);

    public static ModuleLaunch Shell(string device, ModuleSpec spec, string script, IReadOnlyDictionary<string, string>? env = null, string? workDir = null) =>
        ModuleLaunch.ForCommand(device, spec, "/bin/sh", ["-c", script], env) with { WorkingDirectory = workDir };

    public int Mark() => History.Count;

    /// <summary>Waits (real time) for a recorded status of <paramref name="key"/> from history index <paramref name="from"/> that matches.</summary>
    public async Task<ModuleStatus> WaitForAsync(string key, Func<ModuleStatus, bool> match, int from = 0, TimeSpan? timeout = null)
    {
        DateTime deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            ModuleStatus? found = History.Skip(from).FirstOrDefault(s => s.Key == key && match(s));
            if (found is not null) return found;
            if (DateTime.UtcNow > deadline)
            {
                string seen = string.Join(Environment.NewLine, History.Where(s => s.Key == key));
                throw new TimeoutException($"No matching status for {key}. Seen:{Environment.NewLine}{seen}");
            }

            await Task.Delay(20);
        }
    }

    public int IndexOf(string key, Func<ModuleStatus, bool> match)
    {
        IReadOnlyList<ModuleStatus> history = History;
        for (int i = 0; i < history.Count; i++)
        {
            if (history[i].Key == key && match(history[i])) return i;
        }

        return -1;
    }

    public string LogFile(string device, string module) => Path.Combine(StateDirectory, "logs", device, module + ".log");

    public async ValueTask DisposeAsync()
    {
        await Supervisor.DisposeAsync();
        Logs.Dispose();
        try
        {
            Directory.Delete(StateDirectory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }
}
