namespace SensorIngest.Modbus;

/// <summary>The public function codes the client speaks (Modbus Application Protocol v1.1b3 §5.1, §6).</summary>
public enum ModbusFunction : byte
{
    ReadCoils = 1,
    ReadDiscreteInputs = 2,
    ReadHoldingRegisters = 3,
    ReadInputRegisters = 4,
    WriteSingleCoil = 5,
    WriteSingleRegister = 6,
    WriteMultipleCoils = 15,
    WriteMultipleRegisters = 16,
    ReadWriteMultipleRegisters = 23,
}

/// <summary>Protocol limits (Modbus Application Protocol v1.1b3 §4.1, §6).</summary>
public static class ModbusLimits
{
    /// <summary>Largest PDU: 253 bytes (§4.1).</summary>
    public const int MaxPdu = 253;

    /// <summary>Largest TCP ADU: 7-byte MBAP header + 253-byte PDU (§4.1).</summary>
    public const int MaxTcpAdu = 260;

    /// <summary>Largest serial-line ADU: address + PDU + CRC (Modbus over Serial Line v1.02 §2.5.1).</summary>
    public const int MaxRtuAdu = 256;

    /// <summary>FC3/FC4: at most 125 registers per request (§6.3, §6.4).</summary>
    public const int MaxReadRegisters = 125;

    /// <summary>FC1/FC2: at most 2000 bits per request (§6.1, §6.2).</summary>
    public const int MaxReadBits = 2000;

    /// <summary>FC16: at most 123 registers per request (§6.12).</summary>
    public const int MaxWriteRegisters = 123;

    /// <summary>FC15: at most 1968 coils per request (§6.11).</summary>
    public const int MaxWriteCoils = 1968;

    /// <summary>FC23: at most 125 registers read and 121 written (§6.17).</summary>
    public const int MaxReadWriteRead = 125;

    /// <inheritdoc cref="MaxReadWriteRead"/>
    public const int MaxReadWriteWrite = 121;
}
