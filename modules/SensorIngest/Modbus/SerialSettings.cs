using System.IO.Ports;

namespace SensorIngest.Modbus;

/// <summary>A serial line for Modbus RTU (Modbus over Serial Line v1.02 §2.5.1: 8 data bits, even parity by default, 1 stop bit).</summary>
public sealed record SerialSettings(string PortName)
{
    public int BaudRate { get; init; } = 19200;

    public Parity Parity { get; init; } = Parity.Even;

    public int DataBits { get; init; } = 8;

    public StopBits StopBits { get; init; } = StopBits.One;

    /// <summary>Bits on the line per character: start + data + parity + stop.</summary>
    public double BitsPerCharacter => 1 + DataBits + (Parity == Parity.None ? 0 : 1) + StopBits switch
    {
        StopBits.OnePointFive => 1.5,
        StopBits.Two => 2,
        _ => 1,
    };

    /// <summary>
    /// The 3.5-character inter-frame silence (t3.5). Above 19200 baud the spec fixes it at 1.75 ms
    /// (Modbus over Serial Line v1.02 §2.5.1.1).
    /// </summary>
    public TimeSpan InterFrameDelay => BaudRate > 19200
        ? TimeSpan.FromMicroseconds(1750)
        : TimeSpan.FromSeconds(3.5 * BitsPerCharacter / BaudRate);

    /// <summary>Parses N, E, O (also M, S) into a <see cref="Parity"/>.</summary>
    public static Parity ParseParity(string text) => text.ToUpperInvariant() switch
    {
        "N" or "NONE" => Parity.None,
        "E" or "EVEN" => Parity.Even,
        "O" or "ODD" => Parity.Odd,
        "M" or "MARK" => Parity.Mark,
        "S" or "SPACE" => Parity.Space,
        _ => throw new ArgumentException($"unknown parity '{text}' (N, E or O)", nameof(text)),
    };

    /// <summary>Parses 1, 1.5 or 2 into <see cref="StopBits"/>.</summary>
    public static StopBits ParseStopBits(string text) => text switch
    {
        "1" => StopBits.One,
        "1.5" => StopBits.OnePointFive,
        "2" => StopBits.Two,
        _ => throw new ArgumentException($"unknown stop bits '{text}' (1, 1.5 or 2)", nameof(text)),
    };
}
