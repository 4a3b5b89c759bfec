using System.Diagnostics.Metrics;

namespace EdgeHub.Diagnostics;

/// <summary>The hub's instruments (Meter "EdgeHub"), exported as edge_hub_* in Prometheus format.</summary>
public sealed class HubMetrics : IDisposable
{
    public const string MeterName = "EdgeHub";

    private readonly Meter _meter = new(MeterName);

    public HubMetrics()
    {
        MessagesReceived = _meter.CreateCounter<long>("edge_hub_messages_received_total", description: "Messages accepted from modules (persisted before PUBACK).");
        MessagesRejected = _meter.CreateCounter<long>("edge_hub_messages_rejected_total", description: "Messages refused, by reason.");
        MessagesUnrouted = _meter.CreateCounter<long>("edge_hub_messages_unrouted_total", description: "Accepted messages that matched no route.");
        MessagesDelivered = _meter.CreateCounter<long>("edge_hub_messages_delivered_total", description: "Messages acknowledged by their endpoint.");
        ConnectionsRejected = _meter.CreateCounter<long>("edge_hub_connections_rejected_total", description: "Connections refused, by reason.");
        SubscriptionsRejected = _meter.CreateCounter<long>("edge_hub_subscriptions_rejected_total", description: "Subscriptions refused.");
        TwinRequests = _meter.CreateCounter<long>("edge_hub_twin_requests_total", description: "Twin requests by operation and status.");
        MethodCalls = _meter.CreateCounter<long>("edge_hub_method_calls_total", description: "Direct method invocations by status.");
        DeliveryErrors = _meter.CreateCounter<long>("edge_hub_delivery_errors_total", description: "Failed delivery attempts (retried).");
        ApiRejected = _meter.CreateCounter<long>("edge_hub_api_rejected_total", description: "HTTP API requests refused.");
    }

    public Meter Meter => _meter;

    /// <summary>Publishes messages per route and the backlog per endpoint (observed at collection time).</summary>
    public void ObserveRoutesAndEndpoints(Func<IEnumerable<Measurement<long>>> routeMessages, Func<IEnumerable<Measurement<long>>> endpointPending)
    {
        _meter.CreateObservableCounter("edge_hub_route_messages_total", routeMessages, description: "Messages each route delivered into its endpoint, by device and route.");
        _meter.CreateObservableGauge("edge_hub_endpoint_pending", endpointPending, description: "Messages stored for an endpoint and not yet acknowledged (its lag).");
    }

    /// <summary>Publishes the route engine's own counts (conditions that were undefined or failed to evaluate).</summary>
    public void ObserveConditions(Func<long> undefined, Func<long> errors)
    {
        _meter.CreateObservableCounter("edge_hub_route_condition_undefined_total", undefined, description: "Condition evaluations that were undefined (the route did not match).");
        _meter.CreateObservableCounter("edge_hub_route_condition_errors_total", errors, description: "Condition evaluations that failed (the route did not match).");
    }

    public Counter<long> MessagesReceived { get; }

    public Counter<long> MessagesRejected { get; }

    public Counter<long> MessagesUnrouted { get; }

    public Counter<long> MessagesDelivered { get; }

    public Counter<long> ConnectionsRejected { get; }

    public Counter<long> SubscriptionsRejected { get; }

    public Counter<long> TwinRequests { get; }

    public Counter<long> MethodCalls { get; }

    public Counter<long> DeliveryErrors { get; }

    public Counter<long> ApiRejected { get; }

    public void Dispose() => _meter.Dispose();
}
