using SimulatedPlant.Modbus;

namespace SimulatedPlant.Tests.Modbus;

/// <summary>Four tables of 1000 entries each; <see cref="Failure"/> makes every call answer that exception code.</summary>
internal sealed class FakeDataModel : IModbusDataModel
{
    public const int Size = 1000;

    public bool[] Coils { get; } = new bool[Size];

    public bool[] DiscreteInputs { get; } = new bool[Size];

    public ushort[] Holding { get; } = new ushort[Size];

    public ushort[] Input { get; } = new ushort[Size];

    public ModbusExceptionCode Failure { get; set; }

    /// <summary>Makes the next calls throw, as a broken data model would.</summary>
    public bool Throw { get; set; }

    public ModbusExceptionCode ReadCoils(ushort address, Span<bool> values) => Read(Coils, address, values);

    public ModbusExceptionCode ReadDiscreteInputs(ushort address, Span<bool> values) => Read(DiscreteInputs, address, values);

    public ModbusExceptionCode ReadHoldingRegisters(ushort address, Span<ushort> values) => Read(Holding, address, values);

    public ModbusExceptionCode ReadInputRegisters(ushort address, Span<ushort> values) => Read(Input, address, values);

    public ModbusExceptionCode WriteCoils(ushort address, ReadOnlySpan<bool> values) => Write(Coils, address, values);

    public ModbusExceptionCode WriteRegisters(ushort address, ReadOnlySpan<ushort> values) => Write(Holding, address, values);

    private ModbusExceptionCode Read<T>(T[] table, ushort address, Span<T> values)
    {
        if (Throw)
        {
            throw new InvalidOperationException("broken model");
        }

        if (Failure != ModbusExceptionCode.None)
        {
            return Failure;
        }

        if (address + values.Length > table.Length)
        {
            return ModbusExceptionCode.IllegalDataAddress;
        }

        lock (table)
        {
            table.AsSpan(address, values.Length).CopyTo(values);
        }

        return ModbusExceptionCode.None;
    }

    private ModbusExceptionCode Write<T>(T[] table, ushort address, ReadOnlySpan<T> values)
    {
        if (Failure != ModbusExceptionCode.None)
        {
            return Failure;
        }

        if (address + values.Length > table.Length)
        {
            return ModbusExceptionCode.IllegalDataAddress;
        }

        lock (table)
        {
            values.CopyTo(table.AsSpan(address));
        }

        return ModbusExceptionCode.None;
    }
}
