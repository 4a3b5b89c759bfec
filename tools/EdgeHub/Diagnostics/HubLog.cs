using Microsoft.Extensions.Logging;

namespace EdgeHub.Diagnostics;

internal static partial class HubLog
{
    [LoggerMessage(EventIds.Server + 1, LogLevel.Information, "Local edgeHub listening for MQTT on {Endpoint} for hub {IotHub} with {DeviceCount} device(s)")]
    public static partial void Started(ILogger logger, string endpoint, string iotHub, int deviceCount);

    [LoggerMessage(EventIds.Server + 2, LogLevel.Information, "Local edgeHub stopped")]
    public static partial void Stopped(ILogger logger);

    [LoggerMessage(EventIds.Connections + 1, LogLevel.Information, "Module {ClientId} connected")]
    public static partial void Connected(ILogger logger, string clientId);

    [LoggerMessage(EventIds.Connections + 2, LogLevel.Warning, "Connection of {ClientId} (user {UserName}) rejected: {Reason}")]
    public static partial void ConnectRejected(ILogger logger, string clientId, string? userName, string reason);

    [LoggerMessage(EventIds.Connections + 3, LogLevel.Information, "Module {ClientId} disconnected ({DisconnectType})")]
    public static partial void Disconnected(ILogger logger, string clientId, string disconnectType);

    [LoggerMessage(EventIds.Connections + 5, LogLevel.Information, "Module {ClientId} disconnected: its SAS token expired")]
    public static partial void TokenExpired(ILogger logger, string clientId);

    [LoggerMessage(EventIds.Connections + 4, LogLevel.Warning, "Subscription of {ClientId} to {Topic} refused: {Reason}")]
    public static partial void SubscriptionRejected(ILogger logger, string clientId, string topic, string reason);

    [LoggerMessage(EventIds.Messages + 1, LogLevel.Warning, "Message from {ClientId} on {Topic} rejected: {Reason}")]
    public static partial void MessageRejected(ILogger logger, string clientId, string topic, string reason);

    [LoggerMessage(EventIds.Messages + 2, LogLevel.Error, "Storing a message from {ClientId} failed")]
    public static partial void StoreFailed(ILogger logger, Exception exception, string clientId);

    [LoggerMessage(EventIds.Delivery + 1, LogLevel.Warning, "Delivery to {EndpointId} failed; retrying in {DelayMs} ms")]
    public static partial void DeliveryFailed(ILogger logger, Exception exception, string endpointId, int delayMs);

    [LoggerMessage(EventIds.Delivery + 2, LogLevel.Debug, "Endpoint {EndpointId} resumed delivery to {ClientId}")]
    public static partial void DeliveryResumed(ILogger logger, string endpointId, string clientId);

    [LoggerMessage(EventIds.Twin + 1, LogLevel.Information, "Desired properties of {DeviceId}/{ModuleId} updated to version {Version}")]
    public static partial void DesiredUpdated(ILogger logger, string deviceId, string moduleId, long version);

    [LoggerMessage(EventIds.Twin + 2, LogLevel.Warning, "Twin request from {ClientId} rejected: {Reason}")]
    public static partial void TwinRequestRejected(ILogger logger, string clientId, string reason);

    [LoggerMessage(EventIds.Methods + 1, LogLevel.Information, "Method {Method} on {DeviceId}/{ModuleId} returned {Status}")]
    public static partial void MethodCompleted(ILogger logger, string method, string deviceId, string moduleId, int status);

    [LoggerMessage(EventIds.Routing + 1, LogLevel.Error, "Route {Route} of device {DeviceId} is invalid and was skipped: {Error}")]
    public static partial void RouteInvalid(ILogger logger, string route, string deviceId, string error);

    [LoggerMessage(EventIds.Api + 1, LogLevel.Warning, "API request {Method} {Path} rejected: {Reason}")]
    public static partial void ApiRejected(ILogger logger, string method, string path, string reason);
}
