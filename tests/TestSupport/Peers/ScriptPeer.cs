using System.Diagnostics;

namespace TestSupport.Peers;

/// <summary>Runs a peer script from tests/peers (pymodbus, node-opcua clients) and returns its stdout; kills it by pid on timeout.</summary>
public static class ScriptPeer
{
    /// <summary>The repository root: the first folder above the test assembly that holds EdgeSolution.sln.</summary>
    public static string RepositoryRoot { get; } = FindRoot();

    /// <summary>Absolute path of a file in tests/peers.</summary>
    public static string Peer(string fileName) => Path.Combine(RepositoryRoot, "tests", "peers", fileName);

    public static async Task<PeerResult> RunAsync(string executable, IEnumerable<string> arguments, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var info = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {executable}");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        Task<string> stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{executable} {string.Join(' ', info.ArgumentList)} did not finish within {timeout}: {await stderr}");
        }

        return new PeerResult(process.ExitCode, await stdout, await stderr);
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "EdgeSolution.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("EdgeSolution.sln not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>Exit code and output of a peer script.</summary>
public sealed record PeerResult(int ExitCode, string StandardOutput, string StandardError);
