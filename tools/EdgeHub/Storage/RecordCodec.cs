using System.Buffers.Binary;
using System.Text;
using EdgeHub.Messaging;

namespace EdgeHub.Storage;

/// <summary>
/// Binary layout of log records (see docs/store-and-forward.md, "Record layout").
/// Frame: u32 payload length, u32 CRC-32C of the payload, payload. All integers little endian.
/// Message payload: u8 type (1), i64 sequence, varint target count, targets (string endpoint, u8 priority,
/// i64 expiry UTC ticks), then the message: u8 source kind, three nullable strings (device, module, output),
/// system properties and application properties (varint count, string pairs), varint body length, body.
/// Targets come first so that recovery can rebuild the index without decoding bodies.
/// A string is a varint UTF-8 byte count and the bytes; a nullable string stores count + 1, with 0 for null.
/// </summary>
internal static class RecordCodec
{
    public const int FrameHeaderSize = 8;
    public const byte MessageRecordType = 1;
    public const int SequenceOffset = 1;

    /// <summary>Upper bound for one record's payload: anything larger in a length field is a torn or garbage frame.</summary>
    public const int MaxPayloadBytes = 64 * 1024 * 1024;

    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Computes the payload size and the message size (body plus property keys and values) that the limit applies to.</summary>
    public static int MeasurePayload(HubMessage message, IReadOnlyList<EnqueueTarget> targets, out long messageBytes)
    {
        long size = 1 + 8 + VarIntSize((uint)targets.Count);
        for (int i = 0; i < targets.Count; i++)
        {
            size += StringSize(targets[i].EndpointId) + 1 + 8;
        }

        MessageSource source = message.Source;
        size += 1 + NullableStringSize(source.DeviceId) + NullableStringSize(source.ModuleId) + NullableStringSize(source.OutputName);

        long propertyBytes = 0;
        size += DictionarySize(message.SystemProperties, ref propertyBytes);
        size += DictionarySize(message.Properties, ref propertyBytes);
        int bodyLength = message.Body.Length;
        size += VarIntSize((uint)bodyLength) + bodyLength;

        messageBytes = bodyLength + propertyBytes;
        return size > MaxPayloadBytes ? -1 : (int)size;
    }

    /// <summary>Writes the payload (sequence left as zero; see <see cref="PatchSequence"/>). Returns the bytes written.</summary>
    public static int WritePayload(Span<byte> destination, HubMessage message, IReadOnlyList<EnqueueTarget> targets)
    {
        int pos = 0;
        destination[pos++] = MessageRecordType;
        BinaryPrimitives.WriteInt64LittleEndian(destination[pos..], 0);
        pos += 8;
        pos += WriteVarInt(destination[pos..], (uint)targets.Count);
        for (int i = 0; i < targets.Count; i++)
        {
            EnqueueTarget target = targets[i];
            pos += WriteString(destination[pos..], target.EndpointId);
            destination[pos++] = (byte)target.Priority;
            BinaryPrimitives.WriteInt64LittleEndian(destination[pos..], ExpiryTicks(target));
            pos += 8;
        }

        MessageSource source = message.Source;
        destination[pos++] = (byte)source.Kind;
        pos += WriteNullableString(destination[pos..], source.DeviceId);
        pos += WriteNullableString(destination[pos..], source.ModuleId);
        pos += WriteNullableString(destination[pos..], source.OutputName);
        pos += WriteDictionary(destination[pos..], message.SystemProperties);
        pos += WriteDictionary(destination[pos..], message.Properties);
        ReadOnlySpan<byte> body = message.Body.Span;
        pos += WriteVarInt(destination[pos..], (uint)body.Length);
        body.CopyTo(destination[pos..]);
        pos += body.Length;
        return pos;
    }

    /// <summary>
    /// The expiry as UTC ticks. <c>default(DateTimeOffset)</c> (year 1) means "no expiry": a caller that forgot to set it
    /// should not see every message silently dropped as expired.
    /// </summary>
    public static long ExpiryTicks(in EnqueueTarget target) =>
        target.ExpiresAt == default ? DateTimeOffset.MaxValue.UtcTicks : target.ExpiresAt.UtcTicks;

    public static void PatchSequence(Span<byte> payload, long sequence) =>
        BinaryPrimitives.WriteInt64LittleEndian(payload[SequenceOffset..], sequence);

    public static void WriteFrameHeader(Span<byte> frame, int payloadLength)
    {
        BinaryPrimitives.WriteInt32LittleEndian(frame, payloadLength);
        BinaryPrimitives.WriteUInt32LittleEndian(frame[4..], Crc32C.Compute(frame.Slice(FrameHeaderSize, payloadLength)));
    }

    /// <summary>Reads the sequence and the targets of a message payload (recovery path).</summary>
    public static long ReadTargets(ReadOnlySpan<byte> payload, List<RecoveredTarget> targets)
    {
        var reader = new Reader(payload);
        if (reader.ReadByte() != MessageRecordType)
        {
            throw new MessageStoreCorruptException("Unknown record type.");
        }

        long sequence = reader.ReadInt64();
        uint count = reader.ReadVarInt();
        for (uint i = 0; i < count; i++)
        {
            string endpoint = reader.ReadString();
            byte priority = reader.ReadByte();
            long expires = reader.ReadInt64();
            if (priority > 9)
            {
                throw new MessageStoreCorruptException("Priority out of range.");
            }

            targets.Add(new RecoveredTarget(endpoint, priority, expires));
        }

        return sequence;
    }

    /// <summary>Decodes the message of a payload; the body is copied into a new array owned by the message.</summary>
    public static HubMessage ReadMessage(ReadOnlySpan<byte> payload)
    {
        var reader = new Reader(payload);
        if (reader.ReadByte() != MessageRecordType)
        {
            throw new MessageStoreCorruptException("Unknown record type.");
        }

        reader.ReadInt64();
        uint count = reader.ReadVarInt();
        for (uint i = 0; i < count; i++)
        {
            reader.SkipString();
            reader.Skip(1 + 8);
        }

        byte kind = reader.ReadByte();
        if (kind > (byte)MessageSourceKind.TwinChangeNotification)
        {
            throw new MessageStoreCorruptException("Unknown message source kind.");
        }

        string? deviceId = reader.ReadNullableString();
        string? moduleId = reader.ReadNullableString();
        string? outputName = reader.ReadNullableString();
        Dictionary<string, string> systemProperties = reader.ReadDictionary();
        Dictionary<string, string> properties = reader.ReadDictionary();
        int bodyLength = checked((int)reader.ReadVarInt());
        byte[] body = reader.ReadBytes(bodyLength).ToArray();
        return new HubMessage(body, properties, systemProperties)
        {
            Source = new MessageSource((MessageSourceKind)kind, deviceId, moduleId, outputName),
        };
    }

    private static int VarIntSize(uint value)
    {
        int size = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            size++;
        }

        return size;
    }

    private static int WriteVarInt(Span<byte> destination, uint value)
    {
        int pos = 0;
        while (value >= 0x80)
        {
            destination[pos++] = (byte)(value | 0x80);
            value >>= 7;
        }

        destination[pos++] = (byte)value;
        return pos;
    }

    private static int StringSize(string value)
    {
        int count = Utf8.GetByteCount(value);
        return VarIntSize((uint)count) + count;
    }

    private static int NullableStringSize(string? value)
    {
        if (value is null)
        {
            return 1;
        }

        int count = Utf8.GetByteCount(value);
        return VarIntSize((uint)count + 1) + count;
    }

    private static int WriteString(Span<byte> destination, string value) => WriteStringCore(destination, value, 0);

    private static int WriteNullableString(Span<byte> destination, string? value) =>
        value is null ? WriteVarInt(destination, 0) : WriteStringCore(destination, value, 1);

    private static int WriteStringCore(Span<byte> destination, string value, uint bias)
    {
        int count = Utf8.GetByteCount(value);
        int pos = WriteVarInt(destination, (uint)count + bias);
        return pos + Utf8.GetBytes(value, destination[pos..]);
    }

    // Dictionary<,> is enumerated through its struct enumerator so that the hot path does not box one.
    private static long DictionarySize(IReadOnlyDictionary<string, string> dictionary, ref long contentBytes)
    {
        long size = VarIntSize((uint)dictionary.Count);
        if (dictionary is Dictionary<string, string> concrete)
        {
            foreach (KeyValuePair<string, string> pair in concrete)
            {
                size += PairSize(pair, ref contentBytes);
            }
        }
        else
        {
            foreach (KeyValuePair<string, string> pair in dictionary)
            {
                size += PairSize(pair, ref contentBytes);
            }
        }

        return size;
    }

    private static int PairSize(KeyValuePair<string, string> pair, ref long contentBytes)
    {
        int key = StringSize(pair.Key);
        int value = StringSize(pair.Value ?? string.Empty);
        contentBytes += key + value;
        return key + value;
    }

    private static int WriteDictionary(Span<byte> destination, IReadOnlyDictionary<string, string> dictionary)
    {
        int pos = WriteVarInt(destination, (uint)dictionary.Count);
        if (dictionary is Dictionary<string, string> concrete)
        {
            foreach (KeyValuePair<string, string> pair in concrete)
            {
                pos += WriteString(destination[pos..], pair.Key);
                pos += WriteString(destination[pos..], pair.Value ?? string.Empty);
            }
        }
        else
        {
            foreach (KeyValuePair<string, string> pair in dictionary)
            {
                pos += WriteString(destination[pos..], pair.Key);
                pos += WriteString(destination[pos..], pair.Value ?? string.Empty);
            }
        }

        return pos;
    }

    private ref struct Reader
    {
        private readonly ReadOnlySpan<byte> _data;
        private int _pos;

        public Reader(ReadOnlySpan<byte> data)
        {
            _data = data;
            _pos = 0;
        }

        public byte ReadByte()
        {
            if (_pos >= _data.Length)
            {
                throw Truncated();
            }

            return _data[_pos++];
        }

        public long ReadInt64() => BinaryPrimitives.ReadInt64LittleEndian(ReadBytes(8));

        public uint ReadVarInt()
        {
            uint value = 0;
            for (int shift = 0; shift < 35; shift += 7)
            {
                byte b = ReadByte();
                value |= (uint)(b & 0x7F) << shift;
                if (b < 0x80)
                {
                    return value;
                }
            }

            throw new MessageStoreCorruptException("Malformed length in a stored record.");
        }

        public ReadOnlySpan<byte> ReadBytes(int count)
        {
            if (count < 0 || count > _data.Length - _pos)
            {
                throw Truncated();
            }

            ReadOnlySpan<byte> span = _data.Slice(_pos, count);
            _pos += count;
            return span;
        }

        public void Skip(int count) => ReadBytes(count);

        public void SkipString() => ReadBytes(checked((int)ReadVarInt()));

        public string ReadString() => Decode(ReadBytes(checked((int)ReadVarInt())));

        public string? ReadNullableString()
        {
            uint biased = ReadVarInt();
            return biased == 0 ? null : Decode(ReadBytes(checked((int)(biased - 1))));
        }

        public Dictionary<string, string> ReadDictionary()
        {
            int count = checked((int)ReadVarInt());
            if (count > _data.Length - _pos)
            {
                throw Truncated();
            }

            var dictionary = new Dictionary<string, string>(count, StringComparer.Ordinal);
            for (int i = 0; i < count; i++)
            {
                string key = ReadString();
                dictionary[key] = ReadString();
            }

            return dictionary;
        }

        private static string Decode(ReadOnlySpan<byte> bytes)
        {
            try
            {
                return Utf8.GetString(bytes);
            }
            catch (DecoderFallbackException ex)
            {
                throw new MessageStoreCorruptException("Invalid UTF-8 in a stored record: " + ex.Message);
            }
        }

        private static MessageStoreCorruptException Truncated() => new("A stored record ends before its fields do.");
    }
}

internal readonly record struct RecoveredTarget(string EndpointId, byte Priority, long ExpiresTicks);
