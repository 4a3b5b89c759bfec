using System.Diagnostics;
using System.Globalization;
using SensorIngest.Modbus;
using TestSupport.Modbus;

namespace EdgeBench;

/// <summary>
/// `modbus`: polls/s reading 125 holding registers from the libmodbus TCP server on loopback, our <see cref="ModbusClient"/>
/// (one connection, one request at a time, into a reused buffer) next to the libmodbus C client measured in the same run
/// against the same server. Rounds alternate the two so machine noise hits both.
/// </summary>
internal static class ModbusBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        double seconds = Arg(args, "--seconds", 5);
        int rounds = (int)Arg(args, "--rounds", 3);
        int inflight = (int)Arg(args, "--inflight", 1);
        bool blocking = Array.IndexOf(args, "--blocking") >= 0;
        string folder = Path.Combine(Path.GetTempPath(), "edgebench-modbus-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        string cClient = await ModbusPeers.CompileAsync("libmodbus-client-bench.c", folder);
        var (server, port) = await ModbusPeers.StartLibModbusServerAsync(folder);
        await using (server)
        {
            Console.WriteLine($"modbus: read 125 holding registers (FC3), libmodbus server on 127.0.0.1:{port}, {seconds} s per measurement, {Environment.ProcessorCount} cores");
            var ours = new List<double>();
            var theirs = new List<double>();
            for (int round = 0; round < rounds; round++)
            {
                double c = await RunCClientAsync(cClient, port, seconds);
                double dotnet = await RunOursAsync(port, seconds, inflight, blocking);
                theirs.Add(c);
                ours.Add(dotnet);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"round {round + 1}: libmodbus C client {c,9:F0} polls/s   ModbusClient ({(blocking ? "blocking" : $"in flight {inflight}")}) {dotnet,9:F0} polls/s   ratio {dotnet / c:F2}"));
            }

            double medianOurs = Median(ours), medianTheirs = Median(theirs);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"median: libmodbus {medianTheirs:F0} polls/s, ModbusClient {medianOurs:F0} polls/s, ratio {medianOurs / medianTheirs:F2}"));
        }

        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
        }

        return 0;
    }

    private static async Task<double> RunCClientAsync(string binary, int port, double seconds)
    {
        var info = new ProcessStartInfo(binary, ["127.0.0.1", port.ToString(CultureInfo.InvariantCulture), seconds.ToString(CultureInfo.InvariantCulture)])
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(info)!;
        string output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        string[] parts = output.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return double.Parse(parts[Array.IndexOf(parts, "polls_per_second") + 1], CultureInfo.InvariantCulture);
    }

    private static async Task<double> RunOursAsync(int port, double seconds, int inflight, bool blocking)
    {
        await using var client = ModbusClient.CreateTcp("127.0.0.1", port, new ModbusClientOptions { MaxInFlight = inflight, Retries = 0, BlockingSocket = blocking });
        var buffers = Enumerable.Range(0, inflight).Select(_ => new ushort[125]).ToArray();
        for (int i = 0; i < 2000; i++)
        {
            await client.ReadHoldingRegistersAsync(1, 0, buffers[0].AsMemory());
        }

        long polls = 0;
        var stopwatch = Stopwatch.StartNew();
        await Task.WhenAll(buffers.Select(async buffer =>
        {
            while (stopwatch.Elapsed.TotalSeconds < seconds)
            {
                await client.ReadHoldingRegistersAsync(1, 0, buffer.AsMemory());
                Interlocked.Increment(ref polls);
            }
        }));
        return polls / stopwatch.Elapsed.TotalSeconds;
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        return values[values.Count / 2];
    }

    private static double Arg(string[] args, string name, double fallback)
    {
        int index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? double.Parse(args[index + 1], CultureInfo.InvariantCulture) : fallback;
    }
}
