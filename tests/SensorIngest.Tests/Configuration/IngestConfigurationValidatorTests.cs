using SensorIngest.Configuration;
using SensorIngest.Modbus;

namespace SensorIngest.Tests.Configuration;

[Trait("Category", "Unit")]
public class IngestConfigurationValidatorTests
{
    private static PointConfiguration Point(string signal = "p", int function = 3, int address = 0, PointType type = PointType.UInt16, double scale = 1, double offset = 0) =>
        new() { Signal = signal, Function = function, Address = address, Type = type, Scale = scale, Offset = offset };

    private static SlaveConfiguration Slave(string name = "s", string host = "h", int port = 502, int unit = 1, double pollMs = 1000, int retry = 2, double retryMs = 100, double timeoutMs = 1000, string? serial = null, params PointConfiguration[] points) =>
        new() { Name = name, Host = host, Port = port, UnitId = unit, PollingInterval = TimeSpan.FromMilliseconds(pollMs), RetryCount = retry, RetryInterval = TimeSpan.FromMilliseconds(retryMs), Timeout = TimeSpan.FromMilliseconds(timeoutMs), SerialPort = serial, Points = points.Length == 0 ? [Point()] : [.. points] };

    private static IngestConfiguration Config(params SlaveConfiguration[] slaves) => new() { Slaves = [.. slaves] };

    public static TheoryData<string, IngestConfiguration, string> Rules => new()
    {
        { "no slaves", Config(), "at least one slave" },
        { "negative publish", new IngestConfiguration { PublishInterval = TimeSpan.FromSeconds(-1), Slaves = [Slave()] }, "publishInterval must not be negative" },
        { "no name", Config(Slave(name: "")), "every slave needs a name" },
        { "duplicate name", Config(Slave(), Slave()), "the name is used twice" },
        { "serial", Config(Slave(host: "", serial: "/dev/ttyS0")), "serial slaves" },
        { "no host", Config(Slave(host: "")), "endpoint host is required" },
        { "port 0", Config(Slave(port: 0)), "port must be 1..65535" },
        { "port 70000", Config(Slave(port: 70000)), "port must be 1..65535" },
        { "unit 256", Config(Slave(unit: 256)), "unitId must be 0..255" },
        { "unit -1", Config(Slave(unit: -1)), "unitId must be 0..255" },
        { "poll 5 ms", Config(Slave(pollMs: 5)), "pollingInterval must be 10 ms..24 h" },
        { "poll 2 days", Config(Slave(pollMs: 2 * 86_400_000)), "pollingInterval must be 10 ms..24 h" },
        { "retries 11", Config(Slave(retry: 11)), "retryCount must be 0..10" },
        { "retry interval", Config(Slave(retryMs: -1)), "retryInterval must be 0..60000 ms" },
        { "timeout", Config(Slave(timeoutMs: 1)), "timeout must be 10..60000 ms" },
        { "no points", new IngestConfiguration { Slaves = [new SlaveConfiguration { Name = "s", Host = "h" }] }, "at least one point" },
        { "no signal", Config(Slave(points: Point(signal: ""))), "every point needs a signal name" },
        { "duplicate signal", Config(Slave(points: [Point(), Point(address: 1)])), "the signal name is used twice" },
        { "function 5", Config(Slave(points: Point(function: 5))), "function must be 1 (coils)" },
        { "function 0", Config(Slave(points: Point(function: 0))), "function must be 1 (coils)" },
        { "coil typed", Config(Slave(points: Point(function: 1, type: PointType.Float32))), "type must be bool" },
        { "string", Config(Slave(points: Point(type: PointType.String))), "type string is not published yet" },
        { "address -1", Config(Slave(points: Point(address: -1))), "address must be 0..65535" },
        { "float32 at 65535", Config(Slave(points: Point(address: 65535, type: PointType.Float32))), "address must be 0..65534" },
        { "scale 0", Config(Slave(points: Point(scale: 0))), "scale must be a finite, non-zero number" },
        { "scale NaN", Config(Slave(points: Point(scale: double.NaN))), "scale must be a finite, non-zero number" },
        { "offset inf", Config(Slave(points: Point(offset: double.PositiveInfinity))), "offset must be a finite number" },
    };

    [Theory]
    [MemberData(nameof(Rules))]
    public void Validate_BrokenRule_Fails(string rule, IngestConfiguration config, string expected)
    {
        var result = new IngestConfigurationValidator().Validate(null, config);

        Assert.True(result.Failed, rule);
        Assert.Contains(result.Failures!, f => f.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_GoodConfiguration_Succeeds() =>
        Assert.True(new IngestConfigurationValidator().Validate(null, Config(Slave(points: [Point("a", 4, 0, PointType.Float32), Point("b", 1, 0, PointType.Bool)]))).Succeeded);

    [Fact]
    public void Validate_ManyProblems_ListsEveryOneAtOnce()
    {
        IngestConfiguration config = Config(Slave(port: 0, unit: 300, pollMs: 1, points: [Point(function: 9), Point(scale: 0, address: -1)]));

        var result = new IngestConfigurationValidator().Validate(null, config);

        Assert.True(result.Failures!.Count() >= 5, string.Join("\n", result.Failures!));
    }
}
