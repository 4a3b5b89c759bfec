using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace EdgeHub.Storage;

/// <summary>
/// The durable per-endpoint checkpoints: for every endpoint and priority, the sequence through which every entry is
/// acknowledged or expired. Rewritten whole (write temp, optional fsync, rename) so a crash leaves the old or the new file.
/// Layout: u32 magic "EHCP", u16 version, u16 reserved, i32 endpoint count, per endpoint (u16 UTF-8 length, id,
/// 10 x i64), then u32 CRC-32C of everything before it.
/// </summary>
internal static class CheckpointFile
{
    public const string FileName = "checkpoints.dat";
    public const string TempFileName = "checkpoints.tmp";
    private const uint Magic = 0x50434845; // "EHCP"
    private const ushort Version = 1;

    public static void Write(string directory, IReadOnlyList<(string EndpointId, long[] Checkpoints)> endpoints, bool fsync)
    {
        int size = 12 + 4;
        foreach ((string id, _) in endpoints)
        {
            size += 2 + Encoding.UTF8.GetByteCount(id) + (EndpointQueue.PriorityCount * 8);
        }

        byte[] buffer = ArrayPool<byte>.Shared.Rent(size);
        try
        {
            Span<byte> span = buffer.AsSpan(0, size);
            BinaryPrimitives.WriteUInt32LittleEndian(span, Magic);
            BinaryPrimitives.WriteUInt16LittleEndian(span[4..], Version);
            BinaryPrimitives.WriteUInt16LittleEndian(span[6..], 0);
            BinaryPrimitives.WriteInt32LittleEndian(span[8..], endpoints.Count);
            int pos = 12;
            foreach ((string id, long[] checkpoints) in endpoints)
            {
                int length = Encoding.UTF8.GetBytes(id, span[(pos + 2)..]);
                BinaryPrimitives.WriteUInt16LittleEndian(span[pos..], checked((ushort)length));
                pos += 2 + length;
                for (int p = 0; p < EndpointQueue.PriorityCount; p++)
                {
                    BinaryPrimitives.WriteInt64LittleEndian(span[pos..], checkpoints[p]);
                    pos += 8;
                }
            }

            BinaryPrimitives.WriteUInt32LittleEndian(span[pos..], Crc32C.Compute(span[..pos]));

            string temp = Path.Combine(directory, TempFileName);
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0))
            {
                stream.Write(span);
                if (fsync)
                {
                    stream.Flush(flushToDisk: true);
                }
            }

            File.Move(temp, Path.Combine(directory, FileName), overwrite: true);
            if (fsync)
            {
                DirectorySync.Flush(directory);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Reads the checkpoints; returns null and a reason when the file is missing or does not verify.</summary>
    public static Dictionary<string, long[]>? TryRead(string directory, out string? problem)
    {
        problem = null;
        string path = Path.Combine(directory, FileName);
        if (!File.Exists(path))
        {
            return new Dictionary<string, long[]>(StringComparer.Ordinal);
        }

        byte[] data = File.ReadAllBytes(path);
        if (data.Length < 16)
        {
            problem = "too short";
            return null;
        }

        ReadOnlySpan<byte> span = data;
        uint crc = BinaryPrimitives.ReadUInt32LittleEndian(span[^4..]);
        if (Crc32C.Compute(span[..^4]) != crc)
        {
            problem = "checksum mismatch";
            return null;
        }

        if (BinaryPrimitives.ReadUInt32LittleEndian(span) != Magic || BinaryPrimitives.ReadUInt16LittleEndian(span[4..]) != Version)
        {
            problem = "unknown format";
            return null;
        }

        int count = BinaryPrimitives.ReadInt32LittleEndian(span[8..]);
        var result = new Dictionary<string, long[]>(StringComparer.Ordinal);
        int pos = 12;
        int end = span.Length - 4;
        for (int i = 0; i < count; i++)
        {
            if (pos + 2 > end)
            {
                problem = "truncated";
                return null;
            }

            int length = BinaryPrimitives.ReadUInt16LittleEndian(span[pos..]);
            pos += 2;
            if (pos + length + (EndpointQueue.PriorityCount * 8) > end)
            {
                problem = "truncated";
                return null;
            }

            string id = Encoding.UTF8.GetString(span.Slice(pos, length));
            pos += length;
            var checkpoints = new long[EndpointQueue.PriorityCount];
            for (int p = 0; p < checkpoints.Length; p++)
            {
                checkpoints[p] = BinaryPrimitives.ReadInt64LittleEndian(span[pos..]);
                pos += 8;
            }

            result[id] = checkpoints;
        }

        return result;
    }
}
