namespace SensorIngest.Modbus;

/// <summary>Exception codes a slave returns in an exception response (Modbus Application Protocol v1.1b3 §7).</summary>
public enum ModbusExceptionCode : byte
{
    IllegalFunction = 0x01,
    IllegalDataAddress = 0x02,
    IllegalDataValue = 0x03,
    ServerDeviceFailure = 0x04,
    Acknowledge = 0x05,
    ServerDeviceBusy = 0x06,
    NegativeAcknowledge = 0x07,
    MemoryParityError = 0x08,
    GatewayPathUnavailable = 0x0A,
    GatewayTargetDeviceFailedToRespond = 0x0B,
}

/// <summary>Base of every error the Modbus client reports.</summary>
public class ModbusException : Exception
{
    public ModbusException(string message) : base(message) { }

    public ModbusException(string message, Exception? inner) : base(message, inner) { }
}

/// <summary>The slave did not answer within the request timeout (after all retries).</summary>
public sealed class ModbusTimeoutException : ModbusException
{
    public ModbusTimeoutException(string message) : base(message) { }

    public ModbusTimeoutException(string message, Exception? inner) : base(message, inner) { }
}

/// <summary>The slave answered with something that is not a valid response: malformed frame, CRC error, unexpected function or length.</summary>
public sealed class ModbusProtocolException : ModbusException
{
    public ModbusProtocolException(string message) : base(message) { }

    public ModbusProtocolException(string message, Exception? inner) : base(message, inner) { }
}

/// <summary>The slave answered with an exception response (function code with bit 0x80 set, §7).</summary>
public sealed class ModbusExceptionResponseException : ModbusException
{
    public ModbusExceptionResponseException(ModbusFunction function, ModbusExceptionCode exceptionCode)
        : base($"slave returned exception {(byte)exceptionCode:X2} ({Describe(exceptionCode)}) for function {(byte)function} ({function})")
    {
        Function = function;
        ExceptionCode = exceptionCode;
    }

    /// <summary>The function of the request (without the 0x80 bit).</summary>
    public ModbusFunction Function { get; }

    /// <summary>The exception code the slave returned.</summary>
    public ModbusExceptionCode ExceptionCode { get; }

    /// <summary>The name of an exception code, also for codes outside the spec's list.</summary>
    public static string Describe(ModbusExceptionCode code) => Enum.IsDefined(code) ? code.ToString() : $"Unknown{(byte)code:X2}";
}
