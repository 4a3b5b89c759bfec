using System.Buffers.Binary;

namespace SimulatedPlant.Modbus;

/// <summary>
/// Decodes one request PDU, runs it against an <see cref="IModbusDataModel"/> and encodes the response PDU.
/// Pure and allocation-free: request and response are spans, scratch space is stack-allocated.
/// Checks follow the order of the state diagrams in Application Protocol v1.1b3 §6: function code (01),
/// quantity and structure (03), address range (02), then execution (04).
/// </summary>
public static class ModbusPduProcessor
{
    /// <summary>Processes <paramref name="request"/> (function code first) and writes the response PDU.</summary>
    /// <param name="request">The request PDU: function code and data, without MBAP header.</param>
    /// <param name="response">At least <see cref="ModbusLimits.MaxPduLength"/> bytes.</param>
    /// <param name="model">The tables.</param>
    /// <returns>The length of the response PDU.</returns>
    public static int Process(ReadOnlySpan<byte> request, Span<byte> response, IModbusDataModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (response.Length < ModbusLimits.MaxPduLength)
        {
            throw new ArgumentException("The response buffer must hold a maximum-size PDU.", nameof(response));
        }

        if (request.IsEmpty)
        {
            // Nothing to echo a function code from; the caller treats 0 as "close the connection".
            return 0;
        }

        byte function = request[0];
        if (request.Length > ModbusLimits.MaxPduLength)
        {
            return Exception(response, function, ModbusExceptionCode.IllegalDataValue);
        }

        int length;
        ModbusExceptionCode code = (ModbusFunctionCode)function switch
        {
            ModbusFunctionCode.ReadCoils => ReadBits(request, response, model, coils: true, out length),
            ModbusFunctionCode.ReadDiscreteInputs => ReadBits(request, response, model, coils: false, out length),
            ModbusFunctionCode.ReadHoldingRegisters => ReadRegisters(request, response, model, holding: true, out length),
            ModbusFunctionCode.ReadInputRegisters => ReadRegisters(request, response, model, holding: false, out length),
            ModbusFunctionCode.WriteSingleCoil => WriteSingleCoil(request, response, model, out length),
            ModbusFunctionCode.WriteSingleRegister => WriteSingleRegister(request, response, model, out length),
            ModbusFunctionCode.WriteMultipleCoils => WriteMultipleCoils(request, response, model, out length),
            ModbusFunctionCode.WriteMultipleRegisters => WriteMultipleRegisters(request, response, model, out length),
            _ => Unsupported(out length),
        };

        return code == ModbusExceptionCode.None ? length : Exception(response, function, code);
    }

    /// <summary>Exception response: function code | 0x80, exception code. Application Protocol §7.</summary>
    public static int Exception(Span<byte> response, byte function, ModbusExceptionCode code)
    {
        response[0] = (byte)(function | 0x80);
        response[1] = (byte)code;
        return 2;
    }

    private static ModbusExceptionCode Unsupported(out int length)
    {
        length = 0;
        return ModbusExceptionCode.IllegalFunction;
    }

    private static bool InRange(ushort address, int quantity) => address + quantity <= 0x10000;

    // §6.1 (01 Read Coils) and §6.2 (02 Read Discrete Inputs): request fc, start (2), quantity (2);
    // response fc, byte count N = ceil(quantity / 8), bits packed LSB first, unused high bits zero.
    private static ModbusExceptionCode ReadBits(ReadOnlySpan<byte> request, Span<byte> response, IModbusDataModel model, bool coils, out int length)
    {
        length = 0;
        if (request.Length != 5)
        {
            return ModbusExceptionCode.IllegalDataValue;
        }

        ushort address = BinaryPrimitives.ReadUInt16BigEndian(request[1..]);
        ushort quantity = BinaryPrimitives.ReadUInt16BigEndian(request[3..]);
        if (quantity is < 1 or > ModbusLimits.MaxReadBits)
        {
            return ModbusExceptionCode.IllegalDataValue;
        }

        if (!InRange(address, quantity))
        {
            return ModbusExceptionCode.IllegalDataAddress;
        }

        Span<bool> bits = stackalloc bool[ModbusLimits.MaxReadBits];
        bits = bits[..quantity];
        bits.Clear();
        ModbusExceptionCode code = coils ? model.ReadCoils(address, bits) : model.ReadDiscreteInputs(address, bits);
        if (code != ModbusExceptionCode.None)
        {
            return code;
        }

        int byteCount = (quantity + 7) / 8;
        response[0] = request[0];
        response[1] = (byte)byteCount;
        PackBits(bits, response.Slice(2, byteCount));
        length = 2 + byteCount;
        return ModbusExceptionCode.None;
    }

    // §6.3 (03 Read Holding Registers) and §6.4 (04 Read Input Registers): response fc, byte count 2N, registers big-endian.
    private static ModbusExceptionCode ReadRegisters(ReadOnlySpan<byte> request, Span<byte> response, IModbusDataModel model, bool holding, out int length)
    {
        length = 0;
        if (request.Length != 5)
        {
            return ModbusExceptionCode.IllegalDataValue;
        }

        ushort address = BinaryPrimitives.ReadUInt16BigEndian(request[1..]);
        ushort quantity = BinaryPrimitives.ReadUInt16BigEndian(request[3..]);
        if (quantity is < 1 or > ModbusLimits.MaxReadRegisters)
        {
            return ModbusExceptionCode.IllegalDataValue;
        }

        if (!InRange(address, quantity))
        {
            return ModbusExceptionCode.IllegalDataAddress;
        }

        Span<ushort> registers = stackalloc ushort[ModbusLimits.MaxReadRegisters];
        registers = registers[..quantity];
        registers.Clear();
        ModbusExceptionCode code = holding ? model.ReadHoldingRegisters(address, registers) : model.ReadInputRegisters(address, registers);
        if (code != ModbusExceptionCode.None)
        {
            return code;
        }

        response[0] = request[0];
        response[1] = (byte)(quantity * 2);
        for (int i = 0; i < quantity; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(response[(2 + (2 * i))..], registers[i]);
        }

        length = 2 + (quantity * 2);
        return ModbusExceptionCode.None;
    }

    // §6.5 (05 Write Single Coil): value 0xFF00 = ON, 0x0000 = OFF, anything else is exception 03. Response echoes the request.
    private static ModbusExceptionCode WriteSingleCoil(ReadOnlySpan<byte> request, Span<byte> response, IModbusDataModel model, out int length)
    {
        length = 0;
        if (request.Length != 5)
        {
            return ModbusExceptionCode.IllegalDataValue;
        }

        ushort address = BinaryPrimitives.ReadUInt16BigEndian(request[1..]);
        ushort value = BinaryPrimitives.ReadUInt16BigEndian(request[3..]);
        if (value is not (0xFF00 or 0x0000))
        {
            return ModbusExceptionCode.IllegalDataValue;
        }

        ReadOnlySpan<bool> bit = [value == 0xFF00];
        ModbusExceptionCode code = model.WriteCoils(address, bit);
        if (code != ModbusExceptionCode.None)
        {
            return code;
        }

        request.CopyTo(response);
        length = 5;
        return ModbusExceptionCode.None;
    }

    // §6.6 (06 Write Single Register): response echoes the request.
    private static ModbusExceptionCode WriteSingleRegister(ReadOnlySpan<byte> request, Span<byte> response, IModbusDataModel model, out int length)
    {
        length = 0;
        if (request.Length != 5)
        {
            return ModbusExceptionCode.IllegalDataValue;
        }

        ushort address = BinaryPrimitives.ReadUInt16BigEndian(request[1..]);
        ReadOnlySpan<ushort> value = [BinaryPrimitives.ReadUInt16BigEndian(request[3..])];
        ModbusExceptionCode code = model.WriteRegisters(address, value);
        if (code != ModbusExceptionCode.None)
        {
            return code;
        }

        request.CopyTo(response);
        length = 5;
        return ModbusExceptionCode.None;
    }

    // §6.11 (15 Write Multiple Coils): fc, start (2), quantity (2), byte count N = ceil(quantity / 8), values.
    // Response: fc, start, quantity.
    private static ModbusExceptionCode WriteMultipleCoils(ReadOnlySpan<byte> request, Span<byte> response, IModbusDataModel model, out int length)
    {
        length = 0;
        if (request.Length < 6)
        {
            return ModbusExceptionCode.IllegalDataValue;
        }

        ushort address = BinaryPrimitives.ReadUInt16BigEndian(request[1..]);
        ushort quantity = BinaryPrimitives.ReadUInt16BigEndian(request[3..]);
        byte byteCount = request[5];
        if (quantity is < 1 or > ModbusLimits.MaxWriteBits || byteCount != (quantity + 7) / 8 || request.Length != 6 + byteCount)
        {
            return ModbusExceptionCode.IllegalDataValue;
        }

        if (!InRange(address, quantity))
        {
            return ModbusExceptionCode.IllegalDataAddress;
        }

        Span<bool> bits = stackalloc bool[ModbusLimits.MaxWriteBits];
        bits = bits[..quantity];
        ReadOnlySpan<byte> packed = request.Slice(6, byteCount);
        for (int i = 0; i < quantity; i++)
        {
            bits[i] = (packed[i >> 3] & (1 << (i & 7))) != 0;
        }

        ModbusExceptionCode code = model.WriteCoils(address, bits);
        if (code != ModbusExceptionCode.None)
        {
            return code;
        }

        request[..5].CopyTo(response);
        length = 5;
        return ModbusExceptionCode.None;
    }

    // §6.12 (16 Write Multiple Registers): fc, start (2), quantity (2), byte count 2N, values big-endian.
    // Response: fc, start, quantity.
    private static ModbusExceptionCode WriteMultipleRegisters(ReadOnlySpan<byte> request, Span<byte> response, IModbusDataModel model, out int length)
    {
        length = 0;
        if (request.Length < 6)
        {
            return ModbusExceptionCode.IllegalDataValue;
        }

        ushort address = BinaryPrimitives.ReadUInt16BigEndian(request[1..]);
        ushort quantity = BinaryPrimitives.ReadUInt16BigEndian(request[3..]);
        byte byteCount = request[5];
        if (quantity is < 1 or > ModbusLimits.MaxWriteRegisters || byteCount != quantity * 2 || request.Length != 6 + byteCount)
        {
            return ModbusExceptionCode.IllegalDataValue;
        }

        if (!InRange(address, quantity))
        {
            return ModbusExceptionCode.IllegalDataAddress;
        }

        Span<ushort> registers = stackalloc ushort[ModbusLimits.MaxWriteRegisters];
        registers = registers[..quantity];
        for (int i = 0; i < quantity; i++)
        {
            registers[i] = BinaryPrimitives.ReadUInt16BigEndian(request[(6 + (2 * i))..]);
        }

        ModbusExceptionCode code = model.WriteRegisters(address, registers);
        if (code != ModbusExceptionCode.None)
        {
            return code;
        }

        request[..5].CopyTo(response);
        length = 5;
        return ModbusExceptionCode.None;
    }

    private static void PackBits(ReadOnlySpan<bool> bits, Span<byte> packed)
    {
        packed.Clear();
        for (int i = 0; i < bits.Length; i++)
        {
            if (bits[i])
            {
                packed[i >> 3] |= (byte)(1 << (i & 7));
            }
        }
    }
}
