namespace EdgeHub.Storage;

/// <summary>Base of the store's exceptions.</summary>
public class MessageStoreException : Exception
{
    public MessageStoreException(string message)
        : base(message)
    {
    }

    public MessageStoreException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>A message (body plus application and system properties) is larger than <see cref="MessageStoreOptions.MaxMessageBytes"/>.</summary>
public sealed class MessageTooLargeException : MessageStoreException
{
    public MessageTooLargeException(long size, long limit)
        : base($"The message is {size} bytes (body plus properties); the store accepts at most {limit} bytes.")
    {
        Size = size;
        Limit = limit;
    }

    public long Size { get; }

    public long Limit { get; }
}

/// <summary>A stored record failed its checksum or could not be decoded when it was read back.</summary>
public sealed class MessageStoreCorruptException : MessageStoreException
{
    public MessageStoreCorruptException(string message)
        : base(message)
    {
    }
}
