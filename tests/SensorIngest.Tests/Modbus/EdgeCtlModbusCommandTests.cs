using System.Text.Json;
using EdgeCtl.Commands;

namespace SensorIngest.Tests.Modbus;

/// <summary>`edgectl modbus` run in-process against the libmodbus server, with Console output captured.</summary>
[Trait("Category", "Integration")]
[Collection(ConsoleCollection.Name)]
public sealed class EdgeCtlModbusCommandTests(LibModbusServerFixture server) : IClassFixture<LibModbusServerFixture>
{
    [Fact]
    public async Task Read_Json_PrintsTypedValues()
    {
        // KnownPoints: float32 CDAB 123.456 is the third typed point.
        var (code, output, _) = await RunAsync("modbus", "read", "--host", "127.0.0.1", "--port", Port, "--function", "3", "--address", "1008", "--count", "1", "--type", "float32", "--order", "CDAB", "--json");
        Assert.Equal(0, code);
        using JsonDocument json = JsonDocument.Parse(output);
        Assert.Equal(123.456, json.RootElement.GetProperty("values")[0].GetDouble(), 3);
    }

    [Fact]
    public async Task Read_JsonWithScale_PrintsEngineeringValues()
    {
        var (code, output, _) = await RunAsync("modbus", "read", "--host", "127.0.0.1", "--port", Port, "--function", "4", "--address", "10", "--count", "3", "--type", "int16", "--scale", "0.5", "--offset", "1", "--json");
        Assert.Equal(0, code);
        using JsonDocument json = JsonDocument.Parse(output);
        // input[i] = 0x8000 | i as int16 = i - 32768.
        Assert.Equal(new[] { ((10 - 32768) * 0.5) + 1, ((11 - 32768) * 0.5) + 1, ((12 - 32768) * 0.5) + 1 }, json.RootElement.GetProperty("values").EnumerateArray().Select(v => v.GetDouble()));
    }

    [Fact]
    public async Task Read_Coils_JsonPrintsBooleans()
    {
        var (code, output, _) = await RunAsync("modbus", "read", "--host", "127.0.0.1", "--port", Port, "--function", "1", "--address", "0", "--count", "4", "--json");
        Assert.Equal(0, code);
        Assert.Equal("{\"values\":[true,false,false,true]}", output.Trim());
    }

    [Fact]
    public async Task Write_Float32Registers_ThenReadReturnsThem()
    {
        var (code, _, error) = await RunAsync("modbus", "write", "--host", "127.0.0.1", "--port", Port, "--function", "16", "--address", "4000", "--type", "float32", "--order", "DCBA", "--values", "1.5,-2.25");
        Assert.True(code == 0, error);
        var (_, output, _) = await RunAsync("modbus", "read", "--host", "127.0.0.1", "--port", Port, "--function", "3", "--address", "4000", "--count", "2", "--type", "float32", "--order", "DCBA", "--json");
        Assert.Equal("{\"values\":[1.5,-2.25]}", output.Trim());
    }

    [Fact]
    public async Task Read_IllegalAddress_ExitsOneAndNamesTheExceptionCode()
    {
        var (code, _, error) = await RunAsync("modbus", "read", "--host", "127.0.0.1", "--port", Port, "--function", "3", "--address", "9999", "--count", "5");
        Assert.Equal(1, code);
        Assert.Contains("IllegalDataAddress", error, StringComparison.Ordinal);
    }

    private string Port => server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static async Task<(int Code, string Output, string Error)> RunAsync(params string[] args)
    {
        (TextWriter outBefore, TextWriter errorBefore) = (Console.Out, Console.Error);
        using var output = new StringWriter();
        using var error = new StringWriter();
        Console.SetOut(output);
        Console.SetError(error);
        try
        {
            int code = await EdgeCtlCli.RunAsync(args);
            return (code, output.ToString(), error.ToString());
        }
        finally
        {
            Console.SetOut(outBefore);
            Console.SetError(errorBefore);
        }
    }
}

/// <summary>Tests that redirect Console run one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ConsoleCollection
{
    public const string Name = "Console";
}
