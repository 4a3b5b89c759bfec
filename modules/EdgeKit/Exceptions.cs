namespace EdgeKit;

/// <summary>Base of the exceptions EdgeKit throws.</summary>
public class EdgeKitException : Exception
{
    public EdgeKitException() { }
    public EdgeKitException(string message) : base(message) { }
    public EdgeKitException(string message, Exception innerException) : base(message, innerException) { }
}

/// <summary>The bounded send queue is full and <c>QueueFullMode</c> is <c>Fail</c>.</summary>
public sealed class MessageQueueFullException : EdgeKitException
{
    public MessageQueueFullException() : base("The send queue is full.") { }
    public MessageQueueFullException(string message) : base(message) { }
    public MessageQueueFullException(string message, Exception innerException) : base(message, innerException) { }
}

/// <summary>The hub answered a request (twin, publish) with a failure status.</summary>
public sealed class HubRequestException : EdgeKitException
{
    public HubRequestException(string message, int status) : base(message) => Status = status;

    /// <summary>The status the hub returned (HTTP-like for twin operations, reason code for publishes).</summary>
    public int Status { get; }
}

/// <summary>A connection string or environment is not usable.</summary>
public sealed class EdgeKitConfigurationException : EdgeKitException
{
    public EdgeKitConfigurationException(string message) : base(message) { }
}
