using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace EdgeCtl.Up;

/// <summary>
/// `{state}/pids.json`: the processes `up` started. After a kill -9 of edgectl its children keep running; the next `up`
/// on the same state stops them before starting anew (only processes whose command line still names this state folder).
/// </summary>
internal static class ProcessFile
{
    public static string PathOf(string state) => System.IO.Path.Combine(state, "pids.json");

    public static void Write(string state, IReadOnlyDictionary<string, int> pids)
    {
        var node = new JsonObject();
        foreach (var (what, pid) in pids)
        {
            node[what] = pid;
        }

        string path = PathOf(state);
        string temp = path + ".tmp";
        File.WriteAllText(temp, node.ToJsonString());
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>
    /// Kills leftovers of a previous run and returns what it stopped: every process whose environment carries
    /// `EDGECTL_STATE={state}` (so a module restarted after the last pids.json write is found too), named from pids.json.
    /// </summary>
    public static IReadOnlyList<(int Pid, string What)> StopLeftovers(string state)
    {
        var names = new Dictionary<int, string>();
        string path = PathOf(state);
        if (File.Exists(path))
        {
            try
            {
                if (JsonNode.Parse(File.ReadAllText(path)) is JsonObject node)
                {
                    foreach (var (what, value) in node)
                    {
                        if (value is JsonValue v && v.TryGetValue(out int pid))
                        {
                            names[pid] = what;
                        }
                    }
                }
            }
            catch (JsonException)
            {
            }
        }

        var stopped = new List<(int, string)>();
        string marker = System.IO.Path.GetFullPath(state);
        int self = Environment.ProcessId;
        foreach (string dir in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(System.IO.Path.GetFileName(dir), out int pid) || pid == self || !StillOurs(pid, marker))
            {
                continue;
            }

            try
            {
                using var process = Process.GetProcessById(pid);
                process.Kill(entireProcessTree: true);
                process.WaitForExit(5000);
                stopped.Add((pid, names.GetValueOrDefault(pid, "process")));
            }
            catch (ArgumentException)
            {
            }
            catch (InvalidOperationException)
            {
            }
        }

        if (File.Exists(path))
        {
            File.Delete(path);
        }

        return stopped;
    }

    private static bool StillOurs(int pid, string marker)
    {
        // Processes we started carry the state folder in their environment (EDGECTL_STATE); pids get reused.
        try
        {
            byte[] environ = File.ReadAllBytes($"/proc/{pid}/environ");
            return System.Text.Encoding.UTF8.GetString(environ).Contains("EDGECTL_STATE=" + marker + "\0", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }
}
