using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace TestSupport.Modbus;

/// <summary>Locates and builds the Modbus peers kept under tests/peers/modbus.</summary>
public static class ModbusPeers
{
    private static readonly SemaphoreSlim CompileLock = new(1, 1);

    /// <summary>The Debian python that sees python3-pymodbus (the pyenv python3 on PATH does not).</summary>
    public const string Python = "/usr/bin/python3";

    /// <summary>The folder with the peer sources and scripts.</summary>
    public static string Folder => Path.Combine(RepositoryRoot(), "tests", "peers", "modbus");

    /// <summary>The repository root (the folder with EdgeSolution.sln).</summary>
    public static string RepositoryRoot()
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

    /// <summary>
    /// Compiles tests/peers/modbus/<paramref name="source"/> with gcc against libmodbus (pkg-config) into <paramref name="outputFolder"/>
    /// and returns the binary's path; compiled once per folder.
    /// </summary>
    public static async Task<string> CompileAsync(string source, string outputFolder)
    {
        string output = Path.Combine(outputFolder, Path.GetFileNameWithoutExtension(source));
        await CompileLock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (File.Exists(output))
            {
                return output;
            }

            Directory.CreateDirectory(outputFolder);
            string sourcePath = Path.Combine(Folder, source);
            var info = new ProcessStartInfo("/bin/sh", ["-c", $"gcc -O2 -Wall -o '{output}' '{sourcePath}' $(pkg-config --cflags --libs libmodbus)"])
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
                UseShellExecute = false,
            };
            using var gcc = Process.Start(info) ?? throw new InvalidOperationException("gcc did not start");
            string errors = await gcc.StandardError.ReadToEndAsync().ConfigureAwait(false);
            await gcc.WaitForExitAsync().ConfigureAwait(false);
            if (gcc.ExitCode != 0)
            {
                throw new InvalidOperationException($"compiling {source} failed (apt-get install -y libmodbus-dev gcc): {errors}");
            }

            return output;
        }
        finally
        {
            CompileLock.Release();
        }
    }

    /// <summary>Starts the libmodbus TCP server on a free loopback port, loaded with <paramref name="valuesFile"/> (lines "hr|ir|co|di ADDRESS VALUE") over its pattern.</summary>
    public static async Task<(ModbusPeerProcess Process, int Port)> StartLibModbusServerAsync(string folder, string? valuesFile = null)
    {
        string binary = await CompileAsync("libmodbus-server.c", folder).ConfigureAwait(false);
        int port = FreePort();
        var process = await ModbusPeerProcess.StartAsync(binary, valuesFile is null ? [port.ToString(System.Globalization.CultureInfo.InvariantCulture)] : [port.ToString(System.Globalization.CultureInfo.InvariantCulture), valuesFile], "listening").ConfigureAwait(false);
        return (process, port);
    }

    /// <summary>A currently free loopback TCP port.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
