using Microsoft.Extensions.Logging;

namespace EdgeCtl.Up;

internal static partial class UpLog
{
    [LoggerMessage(3001, LogLevel.Information, "[{Peer}] {Line}")]
    public static partial void Peer(ILogger logger, string peer, string line);

    [LoggerMessage(3002, LogLevel.Information, "edgectl up: {DeviceCount} device(s), {ModuleCount} module(s) per device, hub MQTT {MqttPort} / TLS {TlsPort}, API http://127.0.0.1:{HttpPort}, state {State}")]
    public static partial void Starting(ILogger logger, int deviceCount, int moduleCount, int mqttPort, int tlsPort, int httpPort, string state);

    [LoggerMessage(3003, LogLevel.Warning, "Stopped leftover process {Pid} ({What}) from a previous run")]
    public static partial void StaleProcessStopped(ILogger logger, int pid, string what);

    [LoggerMessage(3004, LogLevel.Error, "{What} could not start: {Reason}; the rest keeps running")]
    public static partial void PeerFailed(ILogger logger, string what, string reason);

    [LoggerMessage(3005, LogLevel.Warning, "Module {Module} has no project under {Folder}; it is not started")]
    public static partial void NoProject(ILogger logger, string module, string folder);
}
