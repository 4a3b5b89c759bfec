using System.Globalization;
using System.Text;
using System.Text.Json;
using TestSupport.Modbus;

namespace SensorIngest.Tests.Modbus;

/// <summary>A typed value loaded into a peer at <see cref="Address"/>: its registers as a known byte pattern, and the value they encode.</summary>
public sealed record KnownPoint(int Address, string Type, string Order, string Registers, object Value);

/// <summary>The values both peers are loaded with, beyond the tables' pattern (holding[i] = i, input[i] = 0x8000 | i, coils i % 3 == 0, inputs i % 2 == 1).</summary>
public static class KnownPoints
{
    public const int TypedBase = 1000;

    /// <summary>Every type in every order, each at its own address (4 registers apart).</summary>
    public static IReadOnlyList<KnownPoint> All { get; } = Build();

    private static List<KnownPoint> Build()
    {
        var points = new List<KnownPoint>();
        int address = TypedBase;
        foreach (object[] row in PointCodecTests.Cases)
        {
            if ((string)row[0] == "bool")
            {
                continue;
            }

            points.Add(new KnownPoint(address, (string)row[0], (string)row[1], (string)row[2], row[3]));
            address += 4;
        }

        return points;
    }

    /// <summary>JSON value for the pymodbus loader (Python packs it with struct on its own).</summary>
    public static object JsonValue(object value) => value switch
    {
        float f => (double)f,
        _ => value,
    };
}

/// <summary>The libmodbus C server (tests/peers/modbus/libmodbus-server.c) compiled into the test's temp folder, on a free loopback port.</summary>
public sealed class LibModbusServerFixture : IAsyncLifetime
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "sensoringest-modbus-" + Guid.NewGuid().ToString("N"));
    private ModbusPeerProcess? _process;

    public int Port { get; private set; }

    public string Folder => _folder;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_folder);
        var lines = new StringBuilder();
        foreach (KnownPoint point in KnownPoints.All)
        {
            string[] words = point.Registers.Split(' ');
            for (int i = 0; i < words.Length; i++)
            {
                lines.Append(CultureInfo.InvariantCulture, $"hr {point.Address + i} 0x{words[i]}\n");
                lines.Append(CultureInfo.InvariantCulture, $"ir {point.Address + i} 0x{words[i]}\n");
            }
        }

        string values = Path.Combine(_folder, "values.txt");
        await File.WriteAllTextAsync(values, lines.ToString());
        (_process, int port) = await ModbusPeers.StartLibModbusServerAsync(_folder, values);
        Port = port;
    }

    public async Task DisposeAsync()
    {
        if (_process is not null)
        {
            await _process.DisposeAsync();
        }

        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>pymodbus 3.0 (Debian python3-pymodbus) loaded by tests/peers/modbus/pymodbus-server.py.</summary>
public abstract class PymodbusFixture : IAsyncLifetime
{
    private readonly List<ModbusPeerProcess> _processes = [];

    protected string Folder { get; } = Path.Combine(Path.GetTempPath(), "sensoringest-pymodbus-" + Guid.NewGuid().ToString("N"));

    public int Port { get; private set; }

    /// <summary>The client end of the pty pair (RTU only).</summary>
    public string? SerialDevice { get; private set; }

    protected abstract string Mode { get; }

    public async Task InitializeAsync()
    {
        if (!File.Exists(ModbusPeers.Python))
        {
            throw new InvalidOperationException($"{ModbusPeers.Python} not found: apt-get install -y python3-pymodbus");
        }

        Directory.CreateDirectory(Folder);
        string values = Path.Combine(Folder, "values.json");
        var typed = KnownPoints.All.SelectMany(p => new[] { "hr", "ir" }.Select(table => new Dictionary<string, object>
        {
            ["table"] = table, ["address"] = p.Address, ["type"] = p.Type, ["order"] = p.Order, ["value"] = KnownPoints.JsonValue(p.Value),
        }));
        await File.WriteAllTextAsync(values, JsonSerializer.Serialize(new Dictionary<string, object> { ["typed"] = typed.ToList() }));
        string script = Path.Combine(ModbusPeers.Folder, "pymodbus-server.py");
        if (Mode == "rtu")
        {
            string slaveEnd = Path.Combine(Folder, "slave");
            SerialDevice = Path.Combine(Folder, "master");
            _processes.Add(await ModbusPeerProcess.StartAsync("socat", ["-d", "-d", $"pty,raw,echo=0,link={slaveEnd}", $"pty,raw,echo=0,link={SerialDevice}"], "starting data transfer loop"));
            _processes.Add(await ModbusPeerProcess.StartAsync(ModbusPeers.Python, [script, "rtu", slaveEnd, "19200", "N", values], "listening"));
            await Task.Delay(500); // the serial server opens the pty after printing
        }
        else
        {
            Port = ModbusPeers.FreePort();
            var process = await ModbusPeerProcess.StartAsync(ModbusPeers.Python, [script, Mode, Port.ToString(CultureInfo.InvariantCulture), values], "listening");
            _processes.Add(process);
            await process.WaitForTcpAsync(Port);
        }
    }

    public async Task DisposeAsync()
    {
        for (int i = _processes.Count - 1; i >= 0; i--)
        {
            await _processes[i].DisposeAsync();
        }

        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

public sealed class PymodbusTcpFixture : PymodbusFixture
{
    protected override string Mode => "tcp";
}

public sealed class PymodbusRtuOverTcpFixture : PymodbusFixture
{
    protected override string Mode => "rtu-over-tcp";
}

public sealed class PymodbusRtuFixture : PymodbusFixture
{
    protected override string Mode => "rtu";
}
