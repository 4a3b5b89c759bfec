using System.Buffers.Binary;
using System.Numerics;

namespace EdgeHub.Storage;

/// <summary>
/// CRC-32C (Castagnoli), as used by iSCSI, ext4 and RocksDB. <see cref="BitOperations.Crc32C(uint, ulong)"/>
/// uses the SSE4.2 / ARMv8 CRC instructions when present and a table otherwise, so no package is needed.
/// </summary>
internal static class Crc32C
{
    public static uint Compute(ReadOnlySpan<byte> data) => ~Append(~0u, data);

    private static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        while (data.Length >= 8)
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[8..];
        }

        foreach (byte b in data)
        {
            crc = BitOperations.Crc32C(crc, b);
        }

        return crc;
    }
}
