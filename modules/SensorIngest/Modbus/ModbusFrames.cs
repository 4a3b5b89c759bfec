using System.Buffers.Binary;

namespace SensorIngest.Modbus;

/// <summary>Result of trying to decode a frame from the bytes received so far.</summary>
public enum FrameStatus
{
    /// <summary>A whole, well-formed frame is present.</summary>
    Complete,

    /// <summary>The bytes so far are a valid prefix; read more.</summary>
    NeedMore,

    /// <summary>The bytes cannot start a valid frame; the connection is out of step.</summary>
    Invalid,
}

/// <summary>
/// Modbus TCP framing: the MBAP header (MODBUS Messaging on TCP/IP Implementation Guide v1.0b §3.1.3) in front of the PDU.
/// Transaction id (2), protocol id 0 (2), length of unit id + PDU (2), unit id (1). The decoder never allocates.
/// </summary>
public static class ModbusTcpFrame
{
    public const int HeaderLength = 7;

    /// <summary>Writes header and PDU into <paramref name="destination"/>; returns the ADU length.</summary>
    public static int WriteRequest(Span<byte> destination, ushort transactionId, byte unit, ReadOnlySpan<byte> pdu)
    {
        if (pdu.Length is 0 or > ModbusLimits.MaxPdu)
        {
            throw new ArgumentOutOfRangeException(nameof(pdu), "a PDU is 1..253 bytes (§4.1)");
        }

        BinaryPrimitives.WriteUInt16BigEndian(destination, transactionId);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], 0);
        BinaryPrimitives.WriteUInt16BigEndian(destination[4..], (ushort)(pdu.Length + 1));
        destination[6] = unit;
        pdu.CopyTo(destination[HeaderLength..]);
        return HeaderLength + pdu.Length;
    }

    /// <summary>
    /// Decodes one ADU from the start of <paramref name="buffer"/>. On <see cref="FrameStatus.NeedMore"/>, <paramref name="frameLength"/>
    /// is the total length needed when known (after the header), else <see cref="HeaderLength"/>.
    /// </summary>
    public static FrameStatus TryDecode(ReadOnlySpan<byte> buffer, out ushort transactionId, out byte unit, out int frameLength, out string? error)
    {
        transactionId = 0;
        unit = 0;
        error = null;
        frameLength = HeaderLength;
        if (buffer.Length < HeaderLength)
        {
            return FrameStatus.NeedMore;
        }

        transactionId = BinaryPrimitives.ReadUInt16BigEndian(buffer);
        ushort protocol = BinaryPrimitives.ReadUInt16BigEndian(buffer[2..]);
        int length = BinaryPrimitives.ReadUInt16BigEndian(buffer[4..]);
        unit = buffer[6];
        if (protocol != 0)
        {
            error = "MBAP protocol identifier is not 0";
            return FrameStatus.Invalid;
        }

        // The length counts the unit id and the PDU: at least a function code, at most a 253-byte PDU (§4.1); checked before any buffer is sized.
        if (length < 2 || length > ModbusLimits.MaxPdu + 1)
        {
            error = $"MBAP length {length} outside 2..254";
            return FrameStatus.Invalid;
        }

        frameLength = HeaderLength - 1 + length;
        return buffer.Length < frameLength ? FrameStatus.NeedMore : FrameStatus.Complete;
    }
}

/// <summary>
/// Modbus RTU framing (Modbus over Serial Line v1.02 §2.5.1): slave address, PDU, CRC-16 low byte first.
/// Responses carry no length, so the length follows from the function code and byte count, as a master must do. The decoder never allocates.
/// </summary>
public static class ModbusRtuFrame
{
    /// <summary>Writes address, PDU and CRC into <paramref name="destination"/>; returns the ADU length.</summary>
    public static int WriteRequest(Span<byte> destination, byte unit, ReadOnlySpan<byte> pdu)
    {
        if (pdu.Length is 0 or > ModbusLimits.MaxPdu)
        {
            throw new ArgumentOutOfRangeException(nameof(pdu), "a PDU is 1..253 bytes (§4.1)");
        }

        destination[0] = unit;
        pdu.CopyTo(destination[1..]);
        int length = 1 + pdu.Length;
        BinaryPrimitives.WriteUInt16LittleEndian(destination[length..], ModbusCrc.Compute(destination[..length]));
        return length + 2;
    }

    /// <summary>
    /// Decodes a response ADU from the start of <paramref name="buffer"/>. On <see cref="FrameStatus.NeedMore"/>, <paramref name="frameLength"/> is the
    /// total length needed so far (grows once the byte count is known). On <see cref="FrameStatus.Complete"/> the CRC has been checked and the PDU is
    /// <c>buffer[1..(frameLength - 2)]</c>.
    /// </summary>
    public static FrameStatus TryDecodeResponse(ReadOnlySpan<byte> buffer, out byte unit, out int frameLength, out string? error)
    {
        unit = 0;
        error = null;
        frameLength = 2;
        if (buffer.Length < 2)
        {
            return FrameStatus.NeedMore;
        }

        unit = buffer[0];
        byte function = buffer[1];
        if ((function & 0x80) != 0)
        {
            frameLength = 5; // address, function | 0x80, exception code, CRC (§7 of the application protocol)
        }
        else
        {
            switch (function)
            {
                case 1 or 2 or 3 or 4 or 23:
                    if (buffer.Length < 3)
                    {
                        frameLength = 3;
                        return FrameStatus.NeedMore;
                    }

                    // Checked before the length is handed out, so a reader never sizes a read beyond the 256-byte ADU.
                    if (3 + buffer[2] + 2 > ModbusLimits.MaxRtuAdu)
                    {
                        error = $"byte count {buffer[2]} exceeds the RTU ADU limit";
                        return FrameStatus.Invalid;
                    }

                    frameLength = 3 + buffer[2] + 2;
                    break;
                case 5 or 6 or 15 or 16:
                    frameLength = 8; // address, function, two 16-bit fields, CRC
                    break;
                default:
                    error = $"unexpected function code {function}";
                    return FrameStatus.Invalid;
            }
        }

        if (buffer.Length < frameLength)
        {
            return FrameStatus.NeedMore;
        }

        ushort expected = ModbusCrc.Compute(buffer[..(frameLength - 2)]);
        ushort received = BinaryPrimitives.ReadUInt16LittleEndian(buffer[(frameLength - 2)..]);
        if (expected != received)
        {
            error = $"CRC error (received {received:X4}, computed {expected:X4})";
            return FrameStatus.Invalid;
        }

        return FrameStatus.Complete;
    }
}
