using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using SensorIngest.Modbus;

namespace EdgeCtl.Modbus;

/// <summary>
/// `edgectl modbus read|write`: field commissioning with the module's own Modbus client (what modpoll does).
/// Addresses are the 0-based protocol addresses of the PDU (modpoll's -r is 1-based: reference 40001 is address 0).
/// </summary>
internal static class ModbusCommand
{
    public static Command Create()
    {
        var command = new Command("modbus", "read and write a Modbus slave over TCP, RTU over TCP or a serial line, with the module's client");
        command.Subcommands.Add(CreateRead());
        command.Subcommands.Add(CreateWrite());
        return command;
    }

    private sealed class CommonOptions
    {
        public Option<string?> Host { get; } = new("--host") { Description = "slave host (Modbus TCP, or a serial gateway with --rtu-over-tcp)" };
        public Option<int> Port { get; } = new("--port") { Description = "TCP port", DefaultValueFactory = _ => 502 };
        public Option<bool> RtuOverTcp { get; } = new("--rtu-over-tcp") { Description = "RTU framing (CRC, no MBAP header) on the TCP socket, for serial gateways" };
        public Option<string?> Serial { get; } = new("--serial") { Description = "serial device for Modbus RTU, e.g. /dev/ttyUSB0" };
        public Option<int> Baud { get; } = new("--baud") { Description = "serial baud rate", DefaultValueFactory = _ => 9600 };
        public Option<string> Parity { get; } = new("--parity") { Description = "serial parity: N, E or O", DefaultValueFactory = _ => "E" };
        public Option<int> DataBits { get; } = new("--data-bits") { Description = "serial data bits", DefaultValueFactory = _ => 8 };
        public Option<string> StopBits { get; } = new("--stop-bits") { Description = "serial stop bits: 1, 1.5 or 2", DefaultValueFactory = _ => "1" };
        public Option<int> Unit { get; } = new("--unit") { Description = "unit id (slave address)", DefaultValueFactory = _ => 1 };
        public Option<int> Function { get; } = new("--function") { Description = "function code", Required = true };
        public Option<int> Address { get; } = new("--address") { Description = "0-based start address", Required = true };
        public Option<string> Type { get; } = new("--type") { Description = "register type: bool, int16, uint16, int32, uint32, int64, uint64, float32, float64, string", DefaultValueFactory = _ => "uint16" };
        public Option<string> Order { get; } = new("--order") { Description = "byte/word order: ABCD, BADC, CDAB, DCBA", DefaultValueFactory = _ => "ABCD" };
        public Option<double> Scale { get; } = new("--scale") { Description = "engineering value = raw * scale + offset", DefaultValueFactory = _ => 1 };
        public Option<double> Offset { get; } = new("--offset") { Description = "engineering value = raw * scale + offset", DefaultValueFactory = _ => 0 };
        public Option<int> Timeout { get; } = new("--timeout") { Description = "timeout per attempt in milliseconds", DefaultValueFactory = _ => 1000 };
        public Option<int> Retries { get; } = new("--retries") { Description = "retries after a timeout or I/O error", DefaultValueFactory = _ => 1 };
        public Option<bool> Json { get; } = new("--json") { Description = "print {\"values\":[...]} (read) or {\"written\":N} (write)" };

        public void AddTo(Command command)
        {
            foreach (Option option in new Option[] { Host, Port, RtuOverTcp, Serial, Baud, Parity, DataBits, StopBits, Unit, Function, Address, Type, Order, Scale, Offset, Timeout, Retries, Json })
            {
                command.Options.Add(option);
            }
        }

        public ModbusClient CreateClient(ParseResult parse)
        {
            var options = new ModbusClientOptions
            {
                Timeout = TimeSpan.FromMilliseconds(parse.GetValue(Timeout)),
                Retries = parse.GetValue(Retries),
                RetryDelay = TimeSpan.FromMilliseconds(100),
            };
            if (parse.GetValue(Serial) is { } device)
            {
                return ModbusClient.CreateRtu(new SerialSettings(device)
                {
                    BaudRate = parse.GetValue(Baud),
                    Parity = SerialSettings.ParseParity(parse.GetValue(Parity)!),
                    DataBits = parse.GetValue(DataBits),
                    StopBits = SerialSettings.ParseStopBits(parse.GetValue(StopBits)!),
                }, options);
            }

            string host = parse.GetValue(Host) ?? throw new ArgumentException("give --host (TCP) or --serial (RTU)");
            int port = parse.GetValue(Port);
            return parse.GetValue(RtuOverTcp) ? ModbusClient.CreateRtuOverTcp(host, port, options) : ModbusClient.CreateTcp(host, port, options);
        }

        public PointFormat Format(ParseResult parse, int stringRegisters = 1) => new(
            PointCodec.ParseType(parse.GetValue(Type)!), PointCodec.ParseOrder(parse.GetValue(Order)!), parse.GetValue(Scale), parse.GetValue(Offset), stringRegisters);

        public byte UnitId(ParseResult parse) => checked((byte)parse.GetValue(Unit));

        public ushort StartAddress(ParseResult parse) => checked((ushort)parse.GetValue(Address));
    }

    private static Command CreateRead()
    {
        var common = new CommonOptions();
        var count = new Option<int>("--count") { Description = "number of values (coils, or points of --type; for string: registers of the one string)", DefaultValueFactory = _ => 1 };
        var command = new Command("read", "read coils (1), discrete inputs (2), holding registers (3) or input registers (4) and print typed values");
        common.AddTo(command);
        command.Options.Add(count);
        command.SetAction((parse, cancellationToken) => RunAsync(parse, common, async (client, output) =>
        {
            int function = parse.GetValue(common.Function);
            int n = parse.GetValue(count);
            byte unit = common.UnitId(parse);
            ushort address = common.StartAddress(parse);
            var values = new List<object>();
            switch (function)
            {
                case 1 or 2:
                    bool[] bits = function == 1
                        ? await client.ReadCoilsAsync(unit, address, n, cancellationToken).ConfigureAwait(false)
                        : await client.ReadDiscreteInputsAsync(unit, address, n, cancellationToken).ConfigureAwait(false);
                    values.AddRange(bits.Cast<object>());
                    break;
                case 3 or 4:
                    PointFormat format = common.Format(parse);
                    int points = n;
                    if (format.Type == PointType.String)
                    {
                        (format, points) = (format with { StringRegisters = n }, 1);
                    }

                    int registers = checked(points * format.RegisterCount);
                    ushort[] raw = function == 3
                        ? await client.ReadHoldingRegistersAsync(unit, address, registers, cancellationToken).ConfigureAwait(false)
                        : await client.ReadInputRegistersAsync(unit, address, registers, cancellationToken).ConfigureAwait(false);
                    for (int i = 0; i < points; i++)
                    {
                        values.Add(PointCodec.Decode(raw.AsSpan(i * format.RegisterCount, format.RegisterCount), format));
                    }

                    break;
                default:
                    throw new ArgumentException($"read takes --function 1, 2, 3 or 4, not {function}");
            }

            if (parse.GetValue(common.Json))
            {
                WriteJson(output, values);
            }
            else
            {
                int step = function is 3 or 4 && values.Count > 0 ? common.Format(parse).RegisterCount : 1;
                for (int i = 0; i < values.Count; i++)
                {
                    await output.WriteLineAsync($"[{address + (i * step)}]: {Format(values[i])}").ConfigureAwait(false);
                }
            }
        }, cancellationToken));
        return command;
    }

    private static Command CreateWrite()
    {
        var common = new CommonOptions();
        var values = new Option<string>("--values") { Description = "comma-separated values: 1/0/true/false for coils, typed values for registers", Required = true };
        var command = new Command("write", "write coils (5, 15) or holding registers (6, 16) with typed values");
        common.AddTo(command);
        command.Options.Add(values);
        command.SetAction((parse, cancellationToken) => RunAsync(parse, common, async (client, output) =>
        {
            int function = parse.GetValue(common.Function);
            string[] texts = parse.GetValue(values)!.Split(',', StringSplitOptions.TrimEntries);
            byte unit = common.UnitId(parse);
            ushort address = common.StartAddress(parse);
            int written;
            switch (function)
            {
                case 5:
                    Single(texts);
                    await client.WriteSingleCoilAsync(unit, address, PointCodec.ParseBool(texts[0]), cancellationToken).ConfigureAwait(false);
                    written = 1;
                    break;
                case 15:
                    bool[] bits = texts.Select(PointCodec.ParseBool).ToArray();
                    await client.WriteMultipleCoilsAsync(unit, address, bits, cancellationToken).ConfigureAwait(false);
                    written = bits.Length;
                    break;
                case 6 or 16:
                    PointFormat format = common.Format(parse);
                    if (format.Type == PointType.String)
                    {
                        format = format with { StringRegisters = Math.Max(1, (texts[0].Length + 1) / 2) };
                    }

                    var registers = new ushort[texts.Length * format.RegisterCount];
                    for (int i = 0; i < texts.Length; i++)
                    {
                        PointCodec.Encode(texts[i], format, registers.AsSpan(i * format.RegisterCount, format.RegisterCount));
                    }

                    if (function == 6)
                    {
                        if (registers.Length != 1)
                        {
                            throw new ArgumentException($"--function 6 writes one register; {texts.Length} value(s) of {format.Type} need {registers.Length} (use --function 16)");
                        }

                        await client.WriteSingleRegisterAsync(unit, address, registers[0], cancellationToken).ConfigureAwait(false);
                    }
                    else
                    {
                        await client.WriteMultipleRegistersAsync(unit, address, registers, cancellationToken).ConfigureAwait(false);
                    }

                    written = registers.Length;
                    break;
                default:
                    throw new ArgumentException($"write takes --function 5, 6, 15 or 16, not {function}");
            }

            await output.WriteLineAsync(parse.GetValue(common.Json)
                ? $"{{\"written\":{written.ToString(CultureInfo.InvariantCulture)}}}"
                : $"wrote {written} {(function is 5 or 15 ? "coil(s)" : "register(s)")} at {address}").ConfigureAwait(false);
        }, cancellationToken));
        return command;
    }

    private static void Single(string[] texts)
    {
        if (texts.Length != 1)
        {
            throw new ArgumentException($"--function 5 writes one coil, got {texts.Length} values (use --function 15)");
        }
    }

    private static async Task<int> RunAsync(ParseResult parse, CommonOptions common, Func<ModbusClient, TextWriter, Task> run, CancellationToken cancellationToken)
    {
        try
        {
            await using ModbusClient client = common.CreateClient(parse);
            await run(client, Console.Out).ConfigureAwait(false);
            return 0;
        }
        catch (ModbusExceptionResponseException ex)
        {
            await Console.Error.WriteLineAsync($"error: slave returned exception {(byte)ex.ExceptionCode:X2} {ModbusExceptionResponseException.Describe(ex.ExceptionCode)} for function {(byte)ex.Function}").ConfigureAwait(false);
            return 1;
        }
        catch (Exception ex) when (ex is ModbusException or ArgumentException or FormatException or OverflowException or IOException or UnauthorizedAccessException)
        {
            await Console.Error.WriteLineAsync($"error: {ex.Message}").ConfigureAwait(false);
            return 1;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return 130;
        }
    }

    private static string Format(object value) => value switch
    {
        bool b => b ? "1" : "0",
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        string s => $"\"{s}\"",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? string.Empty,
    };

    private static void WriteJson(TextWriter output, List<object> values)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            writer.WriteStartArray("values");
            foreach (object value in values)
            {
                switch (value)
                {
                    case bool b: writer.WriteBooleanValue(b); break;
                    case short v: writer.WriteNumberValue(v); break;
                    case ushort v: writer.WriteNumberValue(v); break;
                    case int v: writer.WriteNumberValue(v); break;
                    case uint v: writer.WriteNumberValue(v); break;
                    case long v: writer.WriteNumberValue(v); break;
                    case ulong v: writer.WriteNumberValue(v); break;
                    case float v when float.IsFinite(v): writer.WriteNumberValue(v); break;
                    case double v when double.IsFinite(v): writer.WriteNumberValue(v); break;
                    case string s: writer.WriteStringValue(s); break;
                    default: writer.WriteStringValue(Format(value)); break; // NaN and infinities have no JSON number form
                }
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        output.WriteLine(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
    }
}
