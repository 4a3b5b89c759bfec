using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace EdgeCtl.Supervisor;

/// <summary>Stopping a module's process like <c>docker stop</c>: SIGTERM, a grace period, then SIGKILL for the whole tree.</summary>
internal static class ProcessControl
{
    private const int SigTerm = 15;
    private const int SigKill = 9;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int SysKill(int pid, int signal);

    /// <summary>Sends <paramref name="signal"/> with kill(2); false when the process is gone or signals are not available.</summary>
    public static bool Signal(int pid, int signal)
    {
        if (OperatingSystem.IsWindows()) return false;
        try
        {
            return SysKill(pid, signal) == 0;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    /// <summary>The pids of every descendant of <paramref name="rootPid"/> (from /proc; empty where /proc is missing).</summary>
    public static IReadOnlyList<int> Descendants(int rootPid)
    {
        Dictionary<int, List<int>> children = [];
        try
        {
            foreach (string dir in Directory.EnumerateDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid)) continue;
                int? parent = ParentOf(dir);
                if (parent is null) continue;
                if (!children.TryGetValue(parent.Value, out List<int>? list)) children[parent.Value] = list = [];
                list.Add(pid);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return [];
        }

        List<int> result = [];
        Queue<int> queue = new([rootPid]);
        while (queue.Count > 0)
        {
            int pid = queue.Dequeue();
            if (!children.TryGetValue(pid, out List<int>? kids)) continue;
            foreach (int kid in kids)
            {
                if (result.Contains(kid)) continue;
                result.Add(kid);
                queue.Enqueue(kid);
            }
        }

        return result;
    }

    /// <summary>Whether a process with this pid exists (and is not a zombie).</summary>
    public static bool IsAlive(int pid)
    {
        if (!File.Exists($"/proc/{pid}/stat")) return false;
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            int close = stat.LastIndexOf(')');
            return close > 0 && close + 2 < stat.Length && stat[close + 2] != 'Z';
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Polls (real time: the processes are real) until none of <paramref name="pids"/> is alive.</summary>
    private static async Task<bool> AllGoneAsync(IReadOnlyList<int> pids, TimeSpan limit)
    {
        long start = Stopwatch.GetTimestamp();
        while (pids.Any(IsAlive))
        {
            if (Stopwatch.GetElapsedTime(start) > limit) return false;
            await Task.Delay(10).ConfigureAwait(false);
        }

        return true;
    }

    private static int? ParentOf(string procDir)
    {
        try
        {
            // /proc/<pid>/stat: "pid (comm) state ppid ..." — comm may hold spaces and parentheses, so split after the last ')'.
            string stat = File.ReadAllText(Path.Combine(procDir, "stat"));
            int close = stat.LastIndexOf(')');
            if (close < 0) return null;
            string[] fields = stat[(close + 2)..].Split(' ');
            return fields.Length > 1 && int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out int ppid) ? ppid : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// SIGTERM to the process and its descendants (what a terminal's process group gets), up to <paramref name="timeout"/>
    /// for the process to exit, then <see cref="Process.Kill(bool)"/> of the tree and SIGKILL for descendants that outlived it.
    /// Returns false when the timeout was hit.
    /// </summary>
    public static async Task<bool> StopAsync(Process process, TimeSpan timeout, TimeProvider time)
    {
        int pid;
        try
        {
            if (process.HasExited) return true;
            pid = process.Id;
        }
        catch (InvalidOperationException)
        {
            return true;
        }

        IReadOnlyList<int> tree = Descendants(pid);
        bool graceful = Signal(pid, SigTerm);
        foreach (int child in tree) Signal(child, SigTerm);

        bool exited = false;
        if (graceful)
        {
            using var timeoutCts = new CancellationTokenSource(timeout, time);
            try
            {
                await process.WaitForExitAsync(timeoutCts.Token).ConfigureAwait(false);
                exited = true;
            }
            catch (OperationCanceledException)
            {
                exited = false;
            }
        }

        if (!exited)
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException)
            {
                // Already gone.
            }
        }

        // Descendants got SIGTERM with the root; give them a moment, then SIGKILL the ones left (e.g. reparented to init).
        if (!await AllGoneAsync(tree, TimeSpan.FromSeconds(1)).ConfigureAwait(false))
        {
            foreach (int child in tree)
            {
                if (IsAlive(child)) Signal(child, SigKill);
            }

            await AllGoneAsync(tree, TimeSpan.FromSeconds(2)).ConfigureAwait(false);
        }

        // The output pipes close once every holder is gone; bounded in real time so a stray holder cannot hang a stop.
        using var drainCts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await process.WaitForExitAsync(drainCts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The process itself has exited; only a pipe is still open.
        }

        return exited;
    }
}
