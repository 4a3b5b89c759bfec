namespace SimulatedPlant.Modbus;

/// <summary>
/// The four Modbus tables (Application Protocol v1.1b3 §4.3) as seen by <see cref="ModbusTcpServer"/>.
/// Addresses are 0-based PDU addresses. Implementations must be thread-safe: connections call them concurrently.
/// Return <see cref="ModbusExceptionCode.None"/> on success, otherwise the exception code to answer with.
/// </summary>
public interface IModbusDataModel
{
    ModbusExceptionCode ReadCoils(ushort address, Span<bool> values);

    ModbusExceptionCode ReadDiscreteInputs(ushort address, Span<bool> values);

    ModbusExceptionCode ReadHoldingRegisters(ushort address, Span<ushort> values);

    ModbusExceptionCode ReadInputRegisters(ushort address, Span<ushort> values);

    ModbusExceptionCode WriteCoils(ushort address, ReadOnlySpan<bool> values);

    ModbusExceptionCode WriteRegisters(ushort address, ReadOnlySpan<ushort> values);
}
