using EdgeCtl.Supervisor;
using Microsoft.Extensions.Logging;

namespace EdgeCtl.Up;

/// <summary>How `up` uses the supervisor: console output with module prefixes, status rows, pids.</summary>
internal static class ModuleHost
{
    public static ModuleSupervisor Create(string state, ILoggerFactory loggerFactory, TextWriter output, bool json)
    {
        // With --json, stdout carries only status lines; module output goes to stderr (and to the log files).
        TextWriter lines = json ? Console.Error : output;
        var options = new SupervisorOptions
        {
            StateDirectory = state,
            Console = (key, line, _) =>
            {
                lock (lines)
                {
                    lines.WriteLine($"[{key}] {line}");
                }
            },
        };
        return new ModuleSupervisor(options, loggerFactory, TimeProvider.System);
    }

    public static IReadOnlyList<ModuleRow> Rows(ModuleSupervisor supervisor)
    {
        var rows = new List<ModuleRow>();
        foreach (var status in supervisor.Snapshot())
        {
            rows.Add(new ModuleRow(status.DeviceId, status.Module, status.State.ToString(), status.RestartCount, status.ProcessId));
        }

        return rows;
    }

    public static void AddPids(ModuleSupervisor supervisor, Dictionary<string, int> pids)
    {
        foreach (var status in supervisor.Snapshot())
        {
            if (status.ProcessId is int pid)
            {
                pids[status.Key] = pid;
            }
            else
            {
                pids.Remove(status.Key);
            }
        }
    }
}
