using System.Buffers.Binary;

namespace SensorIngest.Modbus;

/// <summary>Request encoding and response parsing of the PDUs (Modbus Application Protocol v1.1b3 §6). Spans only, no allocation except for errors.</summary>
internal static class ModbusPdu
{
    /// <summary>§6.1-§6.4: function, starting address, quantity.</summary>
    public static int WriteRead(Span<byte> pdu, ModbusFunction function, ushort address, int count)
    {
        pdu[0] = (byte)function;
        BinaryPrimitives.WriteUInt16BigEndian(pdu[1..], address);
        BinaryPrimitives.WriteUInt16BigEndian(pdu[3..], (ushort)count);
        return 5;
    }

    /// <summary>§6.5 (coil: FF00 on, 0000 off) and §6.6.</summary>
    public static int WriteSingle(Span<byte> pdu, ModbusFunction function, ushort address, ushort value)
    {
        pdu[0] = (byte)function;
        BinaryPrimitives.WriteUInt16BigEndian(pdu[1..], address);
        BinaryPrimitives.WriteUInt16BigEndian(pdu[3..], value);
        return 5;
    }

    /// <summary>§6.11: coils packed LSB first, byte count.</summary>
    public static int WriteMultipleCoils(Span<byte> pdu, ushort address, ReadOnlySpan<bool> values)
    {
        int bytes = (values.Length + 7) / 8;
        pdu[0] = (byte)ModbusFunction.WriteMultipleCoils;
        BinaryPrimitives.WriteUInt16BigEndian(pdu[1..], address);
        BinaryPrimitives.WriteUInt16BigEndian(pdu[3..], (ushort)values.Length);
        pdu[5] = (byte)bytes;
        pdu.Slice(6, bytes).Clear();
        for (int i = 0; i < values.Length; i++)
        {
            if (values[i])
            {
                pdu[6 + (i / 8)] |= (byte)(1 << (i % 8));
            }
        }

        return 6 + bytes;
    }

    /// <summary>§6.12.</summary>
    public static int WriteMultipleRegisters(Span<byte> pdu, ushort address, ReadOnlySpan<ushort> values)
    {
        pdu[0] = (byte)ModbusFunction.WriteMultipleRegisters;
        BinaryPrimitives.WriteUInt16BigEndian(pdu[1..], address);
        BinaryPrimitives.WriteUInt16BigEndian(pdu[3..], (ushort)values.Length);
        pdu[5] = (byte)(values.Length * 2);
        WriteRegisters(pdu[6..], values);
        return 6 + (values.Length * 2);
    }

    /// <summary>§6.17: read address, read quantity, write address, write quantity, byte count, values.</summary>
    public static int WriteReadWrite(Span<byte> pdu, ushort readAddress, int readCount, ushort writeAddress, ReadOnlySpan<ushort> values)
    {
        pdu[0] = (byte)ModbusFunction.ReadWriteMultipleRegisters;
        BinaryPrimitives.WriteUInt16BigEndian(pdu[1..], readAddress);
        BinaryPrimitives.WriteUInt16BigEndian(pdu[3..], (ushort)readCount);
        BinaryPrimitives.WriteUInt16BigEndian(pdu[5..], writeAddress);
        BinaryPrimitives.WriteUInt16BigEndian(pdu[7..], (ushort)values.Length);
        pdu[9] = (byte)(values.Length * 2);
        WriteRegisters(pdu[10..], values);
        return 10 + (values.Length * 2);
    }

    /// <summary>Throws for an exception response (§7) or a response to another function.</summary>
    public static void CheckFunction(ReadOnlySpan<byte> response, ModbusFunction function)
    {
        if (response.Length == 0)
        {
            throw new ModbusProtocolException("empty response PDU");
        }

        if (response[0] == ((byte)function | 0x80))
        {
            if (response.Length != 2)
            {
                throw new ModbusProtocolException($"exception response of {response.Length} bytes (expected 2)");
            }

            throw new ModbusExceptionResponseException(function, (ModbusExceptionCode)response[1]);
        }

        if (response[0] != (byte)function)
        {
            throw new ModbusProtocolException($"response function {response[0]} does not match request function {(byte)function}");
        }
    }

    /// <summary>§6.3, §6.4, §6.17 responses: function, byte count (2 x N), N registers big-endian.</summary>
    public static void ParseRegisters(ReadOnlySpan<byte> response, ModbusFunction function, Span<ushort> destination)
    {
        CheckFunction(response, function);
        int bytes = destination.Length * 2;
        if (response.Length < 2 || response[1] != bytes || response.Length != 2 + bytes)
        {
            throw new ModbusProtocolException($"register response has {response.Length} bytes, expected byte count {bytes}");
        }

        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = BinaryPrimitives.ReadUInt16BigEndian(response[(2 + (2 * i))..]);
        }
    }

    /// <summary>§6.1, §6.2 responses: function, byte count ceil(N / 8), bits LSB first.</summary>
    public static void ParseBits(ReadOnlySpan<byte> response, ModbusFunction function, Span<bool> destination)
    {
        CheckFunction(response, function);
        int bytes = (destination.Length + 7) / 8;
        if (response.Length < 2 || response[1] != bytes || response.Length != 2 + bytes)
        {
            throw new ModbusProtocolException($"bit response has {response.Length} bytes, expected byte count {bytes}");
        }

        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = (response[2 + (i / 8)] & (1 << (i % 8))) != 0;
        }
    }

    /// <summary>§6.5, §6.6 (echo of the request), §6.11, §6.12 (address and quantity).</summary>
    public static void ParseWriteEcho(ReadOnlySpan<byte> response, ReadOnlySpan<byte> request)
    {
        CheckFunction(response, (ModbusFunction)request[0]);
        if (response.Length != 5 || !response.SequenceEqual(request[..5]))
        {
            throw new ModbusProtocolException("write response does not echo the request's address and value/quantity");
        }
    }

    private static void WriteRegisters(Span<byte> destination, ReadOnlySpan<ushort> values)
    {
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(destination[(2 * i)..], values[i]);
        }
    }
}
