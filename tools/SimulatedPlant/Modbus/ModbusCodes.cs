namespace SimulatedPlant.Modbus;

/// <summary>Public function codes this server implements (Modbus Application Protocol v1.1b3 §5.1, §6).</summary>
public enum ModbusFunctionCode : byte
{
    ReadCoils = 0x01,
    ReadDiscreteInputs = 0x02,
    ReadHoldingRegisters = 0x03,
    ReadInputRegisters = 0x04,
    WriteSingleCoil = 0x05,
    WriteSingleRegister = 0x06,
    WriteMultipleCoils = 0x0F,
    WriteMultipleRegisters = 0x10,
}

/// <summary>Exception codes (Modbus Application Protocol v1.1b3 §7). <see cref="None"/> means success.</summary>
public enum ModbusExceptionCode : byte
{
    None = 0x00,
    IllegalFunction = 0x01,
    IllegalDataAddress = 0x02,
    IllegalDataValue = 0x03,
    ServerDeviceFailure = 0x04,
}

/// <summary>Size limits from the specifications.</summary>
public static class ModbusLimits
{
    /// <summary>MBAP header: transaction id (2), protocol id (2), length (2), unit id (1). Messaging on TCP/IP v1.0b §3.1.3.</summary>
    public const int MbapHeaderLength = 7;

    /// <summary>Maximum PDU: 256 (serial ADU) − 1 (address) − 2 (CRC). Modbus Application Protocol v1.1b3 §4.1.</summary>
    public const int MaxPduLength = 253;

    /// <summary>Maximum TCP ADU: 7-byte MBAP header + 253-byte PDU. Messaging on TCP/IP v1.0b §3.1.3.</summary>
    public const int MaxAduLength = MbapHeaderLength + MaxPduLength;

    /// <summary>FC01/FC02 quantity of bits: 1..2000 (0x7D0). Application Protocol §6.1, §6.2.</summary>
    public const int MaxReadBits = 2000;

    /// <summary>FC03/FC04 quantity of registers: 1..125 (0x7D). Application Protocol §6.3, §6.4.</summary>
    public const int MaxReadRegisters = 125;

    /// <summary>FC15 quantity of outputs: 1..1968 (0x7B0). Application Protocol §6.11.</summary>
    public const int MaxWriteBits = 1968;

    /// <summary>FC16 quantity of registers: 1..123 (0x7B). Application Protocol §6.12.</summary>
    public const int MaxWriteRegisters = 123;
}
