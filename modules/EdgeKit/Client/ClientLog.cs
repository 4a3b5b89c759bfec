using Microsoft.Extensions.Logging;

namespace EdgeKit.Client;

/// <summary>Source-generated logs of <see cref="ModuleClient"/>.</summary>
internal static partial class ClientLog
{
    [LoggerMessage(EventId = EventIds.ClientBase + 1, Level = LogLevel.Information, Message = "Connecting to {Host}:{Port} as {ClientId} (tls {UseTls}, attempt {Attempt})")]
    public static partial void Connecting(ILogger logger, string host, int port, string clientId, bool useTls, int attempt);

    [LoggerMessage(EventId = EventIds.ClientBase + 2, Level = LogLevel.Information, Message = "Connected to {Host}:{Port} as {ClientId}; token expires at {ExpiresAt:o}")]
    public static partial void Connected(ILogger logger, string host, int port, string clientId, DateTimeOffset expiresAt);

    [LoggerMessage(EventId = EventIds.ClientBase + 3, Level = LogLevel.Warning, Message = "Connect to {Host}:{Port} failed (attempt {Attempt}); retrying in {DelayMs} ms")]
    public static partial void ConnectFailed(ILogger logger, Exception exception, string host, int port, int attempt, long delayMs);

    [LoggerMessage(EventId = EventIds.ClientBase + 4, Level = LogLevel.Warning, Message = "Disconnected from {Host}:{Port}: {Reason}")]
    public static partial void Disconnected(ILogger logger, string host, int port, string reason);

    [LoggerMessage(EventId = EventIds.ClientBase + 5, Level = LogLevel.Information, Message = "Renewing the SAS token (expires at {ExpiresAt:o}): reconnecting")]
    public static partial void TokenRenewing(ILogger logger, DateTimeOffset expiresAt);

    [LoggerMessage(EventId = EventIds.ClientBase + 6, Level = LogLevel.Warning, Message = "Send queue full ({Capacity} messages)")]
    public static partial void QueueFull(ILogger logger, int capacity);

    [LoggerMessage(EventId = EventIds.ClientBase + 7, Level = LogLevel.Warning, Message = "Publish to {Topic} failed; the message stays queued for the next connection")]
    public static partial void PublishRetry(ILogger logger, Exception exception, string topic);

    [LoggerMessage(EventId = EventIds.ClientBase + 8, Level = LogLevel.Warning, Message = "Ignoring a message on topic {Topic}: {Error}")]
    public static partial void InvalidTopic(ILogger logger, string topic, string error);

    [LoggerMessage(EventId = EventIds.ClientBase + 9, Level = LogLevel.Warning, Message = "No handler for input {Input}: message acknowledged and dropped")]
    public static partial void NoInputHandler(ILogger logger, string input);

    [LoggerMessage(EventId = EventIds.ClientBase + 10, Level = LogLevel.Error, Message = "Handler for input {Input} failed: message acknowledged")]
    public static partial void InputHandlerFailed(ILogger logger, Exception exception, string input);

    [LoggerMessage(EventId = EventIds.ClientBase + 11, Level = LogLevel.Error, Message = "Method {Method} failed")]
    public static partial void MethodHandlerFailed(ILogger logger, Exception exception, string method);

    [LoggerMessage(EventId = EventIds.ClientBase + 12, Level = LogLevel.Error, Message = "Desired property callback failed")]
    public static partial void DesiredCallbackFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = EventIds.ClientBase + 13, Level = LogLevel.Information, Message = "Subscribed to {Filter}")]
    public static partial void Subscribed(ILogger logger, string filter);

    [LoggerMessage(EventId = EventIds.ClientBase + 14, Level = LogLevel.Warning, Message = "Acknowledging a received message failed")]
    public static partial void AckFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = EventIds.ClientBase + 15, Level = LogLevel.Information, Message = "Closed")]
    public static partial void Closed(ILogger logger);

    [LoggerMessage(EventId = EventIds.ClientBase + 16, Level = LogLevel.Error, Message = "Background loop {Loop} failed; restarting")]
    public static partial void LoopFailed(ILogger logger, Exception exception, string loop);

    [LoggerMessage(EventId = EventIds.ClientBase + 17, Level = LogLevel.Warning, Message = "Hub certificate rejected: {Errors}")]
    public static partial void CertificateRejected(ILogger logger, string errors);
}
