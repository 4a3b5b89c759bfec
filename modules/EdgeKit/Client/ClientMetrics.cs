using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace EdgeKit.Client;

/// <summary>The instruments of meter <c>EdgeKit</c>.</summary>
public static class ClientMetrics
{
    /// <summary>The meter name.</summary>
    public const string MeterName = "EdgeKit";

    internal static readonly Meter Meter = new(MeterName, "1.0");

    internal static readonly Counter<long> MessagesSent = Meter.CreateCounter<long>(
        "edge_module_messages_sent_total", description: "Messages acknowledged (PUBACK) by the hub.");

    internal static readonly Counter<long> MessagesReceived = Meter.CreateCounter<long>(
        "edge_module_messages_received_total", description: "Input messages received from the hub.");

    internal static readonly Counter<long> SendQueueFull = Meter.CreateCounter<long>(
        "edge_module_send_queue_full_total", description: "Sends that found the bounded send queue full.");

    internal static readonly Counter<long> Reconnects = Meter.CreateCounter<long>(
        "edge_module_reconnects_total", description: "Connections lost or renewed and re-established.");

    internal static readonly Counter<long> HandlerErrors = Meter.CreateCounter<long>(
        "edge_module_handler_errors_total", description: "Input, method or desired-property handlers that threw.");

    private static readonly ConcurrentDictionary<ModuleClient, byte> s_clients = new();

    internal static readonly ObservableGauge<long> SendQueueLength = Meter.CreateObservableGauge(
        "edge_module_send_queue_length",
        () => s_clients.Keys.Select(c => new Measurement<long>(c.QueueLength, new KeyValuePair<string, object?>("module", c.ModuleId))),
        description: "Messages waiting to be published (queued or to be re-sent).");

    internal static void Register(ModuleClient client) => s_clients.TryAdd(client, 0);

    internal static void Unregister(ModuleClient client) => s_clients.TryRemove(client, out _);
}
