using System.Buffers.Binary;
using System.Globalization;

namespace SensorIngest.Modbus;

/// <summary>How a point's registers are interpreted.</summary>
public enum PointType
{
    Bool,
    Int16,
    UInt16,
    Int32,
    UInt32,
    Int64,
    UInt64,
    Float32,
    Float64,
    String,
}

/// <summary>
/// Byte and word order of a multi-byte value, named by where the bytes of the big-endian value A B C D land in the registers:
/// ABCD = Modbus' own big-endian order (§4.2 of the application protocol), BADC = bytes swapped within each register,
/// CDAB = registers swapped (low word first, common on PLCs), DCBA = fully little-endian. 64-bit values follow the same rule
/// with four registers; 16-bit values only know the byte swap.
/// </summary>
public enum PointOrder
{
    ABCD,
    BADC,
    CDAB,
    DCBA,
}

/// <summary>A typed point: type, order, scale and offset (engineering value = raw * Scale + Offset), string length in registers.</summary>
public sealed record PointFormat(PointType Type, PointOrder Order = PointOrder.ABCD, double Scale = 1, double Offset = 0, int StringRegisters = 1)
{
    /// <summary>True when scale or offset change the raw value, so decoded numbers become doubles.</summary>
    public bool IsScaled => Scale != 1 || Offset != 0;

    /// <summary>Registers the point occupies.</summary>
    public int RegisterCount => Type switch
    {
        PointType.Bool or PointType.Int16 or PointType.UInt16 => 1,
        PointType.Int32 or PointType.UInt32 or PointType.Float32 => 2,
        PointType.Int64 or PointType.UInt64 or PointType.Float64 => 4,
        PointType.String => StringRegisters,
        _ => throw new ArgumentOutOfRangeException(nameof(Type)),
    };
}

/// <summary>Decodes registers into typed values and encodes typed values into registers for writes.</summary>
public static class PointCodec
{
    /// <summary>The point's value as a double with scale and offset applied (bool is 0/1; not for strings). Allocation-free, for the polling hot path.</summary>
    public static double DecodeDouble(ReadOnlySpan<ushort> registers, PointFormat format)
    {
        ArgumentNullException.ThrowIfNull(format);
        double raw = format.Type switch
        {
            PointType.Bool => registers[0] != 0 ? 1 : 0,
            PointType.Int16 => (short)ReadUInt64(registers, format, 1),
            PointType.UInt16 => (ushort)ReadUInt64(registers, format, 1),
            PointType.Int32 => (int)ReadUInt64(registers, format, 2),
            PointType.UInt32 => (uint)ReadUInt64(registers, format, 2),
            PointType.Int64 => (long)ReadUInt64(registers, format, 4),
            PointType.UInt64 => ReadUInt64(registers, format, 4),
            PointType.Float32 => BitConverter.Int32BitsToSingle((int)ReadUInt64(registers, format, 2)),
            PointType.Float64 => BitConverter.Int64BitsToDouble((long)ReadUInt64(registers, format, 4)),
            _ => throw new ArgumentException($"{format.Type} has no numeric value", nameof(format)),
        };
        return (raw * format.Scale) + format.Offset;
    }

    /// <summary>
    /// The point's value in its own type (bool, short, ushort, int, uint, long, ulong, float, double, string); a double when the
    /// format scales or offsets a numeric value.
    /// </summary>
    public static object Decode(ReadOnlySpan<ushort> registers, PointFormat format)
    {
        ArgumentNullException.ThrowIfNull(format);
        if (registers.Length < format.RegisterCount)
        {
            throw new ArgumentException($"{format.Type} needs {format.RegisterCount} registers, got {registers.Length}", nameof(registers));
        }

        if (format.Type == PointType.String)
        {
            return DecodeString(registers[..format.RegisterCount], format.Order);
        }

        if (format.IsScaled && format.Type != PointType.Bool)
        {
            return DecodeDouble(registers, format);
        }

        return format.Type switch
        {
            PointType.Bool => registers[0] != 0,
            PointType.Int16 => (short)ReadUInt64(registers, format, 1),
            PointType.UInt16 => (ushort)ReadUInt64(registers, format, 1),
            PointType.Int32 => (int)ReadUInt64(registers, format, 2),
            PointType.UInt32 => (uint)ReadUInt64(registers, format, 2),
            PointType.Int64 => (long)ReadUInt64(registers, format, 4),
            PointType.UInt64 => ReadUInt64(registers, format, 4),
            PointType.Float32 => BitConverter.Int32BitsToSingle((int)ReadUInt64(registers, format, 2)),
            _ => BitConverter.Int64BitsToDouble((long)ReadUInt64(registers, format, 4)),
        };
    }

    /// <summary>Encodes an engineering value (scale and offset are undone; integers are rounded and range-checked).</summary>
    public static void Encode(double value, PointFormat format, Span<ushort> destination)
    {
        ArgumentNullException.ThrowIfNull(format);
        CheckDestination(format, destination);
        double raw = (value - format.Offset) / format.Scale;
        ulong bits = format.Type switch
        {
            PointType.Bool => raw != 0 ? 1UL : 0UL,
            PointType.Int16 => (ushort)(short)ToInteger(raw, short.MinValue, short.MaxValue, format),
            PointType.UInt16 => (ushort)ToInteger(raw, ushort.MinValue, ushort.MaxValue, format),
            PointType.Int32 => (uint)(int)ToInteger(raw, int.MinValue, int.MaxValue, format),
            PointType.UInt32 => (uint)ToInteger(raw, uint.MinValue, uint.MaxValue, format),
            PointType.Int64 => (ulong)(long)ToInteger(raw, long.MinValue, long.MaxValue, format),
            PointType.UInt64 => raw is >= 0 and < 18446744073709551616.0 ? (ulong)Math.Round(raw) : throw OutOfRange(value, format),
            PointType.Float32 => (uint)BitConverter.SingleToInt32Bits((float)raw),
            PointType.Float64 => (ulong)BitConverter.DoubleToInt64Bits(raw),
            _ => throw new ArgumentException($"{format.Type} takes text, not a number", nameof(format)),
        };
        WriteUInt64(bits, format, destination);
    }

    /// <summary>
    /// Encodes a value given as text (command line, twin, JSON): numbers in invariant culture, true/false/on/off for bool,
    /// the text itself for strings. 64-bit integers without scale keep every digit.
    /// </summary>
    public static void Encode(string text, PointFormat format, Span<ushort> destination)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(format);
        CheckDestination(format, destination);
        switch (format.Type)
        {
            case PointType.String:
                EncodeString(text, format.Order, destination[..format.RegisterCount]);
                return;
            case PointType.Bool:
                Encode(ParseBool(text) ? 1 : 0, format with { Scale = 1, Offset = 0 }, destination);
                return;
            case PointType.Int64 when !format.IsScaled:
                WriteUInt64((ulong)long.Parse(text, NumberStyles.Integer, CultureInfo.InvariantCulture), format, destination);
                return;
            case PointType.UInt64 when !format.IsScaled:
                WriteUInt64(ulong.Parse(text, NumberStyles.Integer, CultureInfo.InvariantCulture), format, destination);
                return;
            default:
                Encode(double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture), format, destination);
                return;
        }
    }

    /// <summary>Parses 1/0, true/false, on/off.</summary>
    public static bool ParseBool(string text) => text.Trim().ToUpperInvariant() switch
    {
        "1" or "TRUE" or "ON" => true,
        "0" or "FALSE" or "OFF" => false,
        _ => throw new FormatException($"'{text}' is not a boolean (1/0, true/false, on/off)"),
    };

    /// <summary>Parses a type name as used on the command line and in configuration (bool, int16, ..., float32, float64, string).</summary>
    public static PointType ParseType(string text) => text.ToUpperInvariant() switch
    {
        "BOOL" or "BOOLEAN" => PointType.Bool,
        "INT16" => PointType.Int16,
        "UINT16" => PointType.UInt16,
        "INT32" => PointType.Int32,
        "UINT32" => PointType.UInt32,
        "INT64" => PointType.Int64,
        "UINT64" => PointType.UInt64,
        "FLOAT32" or "FLOAT" => PointType.Float32,
        "FLOAT64" or "DOUBLE" => PointType.Float64,
        "STRING" => PointType.String,
        _ => throw new FormatException($"unknown type '{text}' (bool, int16, uint16, int32, uint32, int64, uint64, float32, float64, string)"),
    };

    /// <summary>Parses ABCD, BADC, CDAB or DCBA.</summary>
    public static PointOrder ParseOrder(string text) => Enum.TryParse(text, ignoreCase: true, out PointOrder order) && Enum.IsDefined(order)
        ? order
        : throw new FormatException($"unknown order '{text}' (ABCD, BADC, CDAB, DCBA)");

    private static bool SwapsBytes(PointOrder order) => order is PointOrder.BADC or PointOrder.DCBA;

    private static bool SwapsWords(PointOrder order) => order is PointOrder.CDAB or PointOrder.DCBA;

    /// <summary>Assembles <paramref name="words"/> registers into the big-endian value they encode in the format's order.</summary>
    private static ulong ReadUInt64(ReadOnlySpan<ushort> registers, PointFormat format, int words)
    {
        if (registers.Length < words)
        {
            throw new ArgumentException($"{format.Type} needs {words} registers, got {registers.Length}", nameof(registers));
        }

        ulong value = 0;
        for (int i = 0; i < words; i++)
        {
            ushort word = registers[SwapsWords(format.Order) ? words - 1 - i : i];
            value = (value << 16) | (SwapsBytes(format.Order) ? BinaryPrimitives.ReverseEndianness(word) : word);
        }

        return value;
    }

    private static void WriteUInt64(ulong value, PointFormat format, Span<ushort> destination)
    {
        int words = format.RegisterCount;
        for (int i = words - 1; i >= 0; i--)
        {
            ushort word = (ushort)value;
            value >>= 16;
            destination[SwapsWords(format.Order) ? words - 1 - i : i] = SwapsBytes(format.Order) ? BinaryPrimitives.ReverseEndianness(word) : word;
        }
    }

    /// <summary>ASCII, two characters per register, first character in the high byte (ABCD) or low byte (BADC/DCBA); NULs and trailing spaces end the text.</summary>
    private static string DecodeString(ReadOnlySpan<ushort> registers, PointOrder order)
    {
        Span<char> chars = registers.Length <= 128 ? stackalloc char[registers.Length * 2] : new char[registers.Length * 2];
        int length = 0;
        foreach (ushort register in registers)
        {
            ushort word = SwapsBytes(order) ? BinaryPrimitives.ReverseEndianness(register) : register;
            foreach (byte b in (ReadOnlySpan<byte>)[(byte)(word >> 8), (byte)word])
            {
                if (b == 0)
                {
                    return new string(chars[..length]).TrimEnd();
                }

                chars[length++] = b is >= 0x20 and < 0x7F ? (char)b : '?';
            }
        }

        return new string(chars[..length]).TrimEnd();
    }

    private static void EncodeString(string text, PointOrder order, Span<ushort> destination)
    {
        if (text.Length > destination.Length * 2)
        {
            throw new ArgumentException($"'{text}' is longer than {destination.Length * 2} characters", nameof(text));
        }

        for (int i = 0; i < destination.Length; i++)
        {
            byte high = (byte)(2 * i < text.Length ? ToAscii(text[2 * i]) : 0);
            byte low = (byte)((2 * i) + 1 < text.Length ? ToAscii(text[(2 * i) + 1]) : 0);
            ushort word = (ushort)((high << 8) | low);
            destination[i] = SwapsBytes(order) ? BinaryPrimitives.ReverseEndianness(word) : word;
        }
    }

    private static char ToAscii(char c) => c is >= ' ' and < (char)0x7F ? c : throw new ArgumentException($"'{c}' is not printable ASCII", nameof(c));

    private static double ToInteger(double raw, double min, double max, PointFormat format)
    {
        double rounded = Math.Round(raw);
        return rounded >= min && rounded <= max && !double.IsNaN(rounded) ? rounded : throw OutOfRange(raw, format);
    }

    private static ArgumentOutOfRangeException OutOfRange(double value, PointFormat format)
        => new(nameof(value), value, $"{value.ToString(CultureInfo.InvariantCulture)} does not fit {format.Type} (scale {format.Scale}, offset {format.Offset})");

    private static void CheckDestination(PointFormat format, Span<ushort> destination)
    {
        if (destination.Length < format.RegisterCount)
        {
            throw new ArgumentException($"{format.Type} needs {format.RegisterCount} registers, got {destination.Length}", nameof(destination));
        }
    }
}
