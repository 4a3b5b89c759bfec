using System.Buffers.Binary;
using EdgeHub.Messaging;
using Microsoft.Win32.SafeHandles;

namespace EdgeHub.Storage;

/// <summary>
/// One log file. The name is the first sequence number it may hold (20 digits), so the next sequence number
/// survives even when every older segment has been deleted. The file starts with a 16-byte header:
/// u32 magic "EHSL", u16 version, u16 reserved, i64 first sequence.
/// </summary>
internal sealed class Segment
{
    public const int HeaderSize = 16;
    public const uint Magic = 0x4C534845; // "EHSL" little endian
    public const ushort Version = 1;
    public const string Extension = ".seg";

    // One reference for the store; readers take one while they read so that deletion never closes a handle under them.
    private int _references = 1;

    public Segment(string path, long firstSequence, SafeFileHandle handle, long length)
    {
        Path = path;
        FirstSequence = firstSequence;
        Handle = handle;
        Length = length;
    }

    public string Path { get; }

    public long FirstSequence { get; }

    public SafeFileHandle Handle { get; }

    /// <summary>Bytes written (only the flushing appender changes it).</summary>
    public long Length { get; set; }

    /// <summary>Enqueue entries in this segment that are neither acknowledged nor expired.</summary>
    public long LiveEntries;

    /// <summary>No more appends go here.</summary>
    public bool Sealed { get; set; }

    public bool Deleted { get; set; }

    public static string FileName(long firstSequence) => firstSequence.ToString("D20", System.Globalization.CultureInfo.InvariantCulture) + Extension;

    public static void WriteHeader(Span<byte> header, long firstSequence)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(header, Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], Version);
        BinaryPrimitives.WriteUInt16LittleEndian(header[6..], 0);
        BinaryPrimitives.WriteInt64LittleEndian(header[8..], firstSequence);
    }

    public static bool IsValidHeader(ReadOnlySpan<byte> header, long firstSequence) =>
        header.Length >= HeaderSize
        && BinaryPrimitives.ReadUInt32LittleEndian(header) == Magic
        && BinaryPrimitives.ReadUInt16LittleEndian(header[4..]) == Version
        && BinaryPrimitives.ReadInt64LittleEndian(header[8..]) == firstSequence;

    public bool TryAcquire()
    {
        while (true)
        {
            int current = Volatile.Read(ref _references);
            if (current == 0)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _references, current + 1, current) == current)
            {
                return true;
            }
        }
    }

    public void Release()
    {
        if (Interlocked.Decrement(ref _references) == 0)
        {
            Handle.Dispose();
        }
    }
}

/// <summary>Where one appended message lives, shared by the entries of every endpoint it was routed to.</summary>
internal sealed class StoredMessage
{
    public StoredMessage(long sequence, int frameLength)
    {
        Sequence = sequence;
        FrameLength = frameLength;
    }

    public long Sequence { get; }

    public int FrameLength { get; }

    public Segment? Segment { get; set; }

    public long Offset { get; set; }

    /// <summary>The message itself while it is in the recent-message cache; null once evicted (read back from the segment).</summary>
    public volatile HubMessage? Cached;
}
