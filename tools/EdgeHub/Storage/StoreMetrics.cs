using System.Diagnostics.Metrics;

namespace EdgeHub.Storage;

/// <summary>Instruments of the store (meter "EdgeHub.Storage").</summary>
internal sealed class StoreMetrics : IDisposable
{
    public const string MeterName = "EdgeHub.Storage";

    private readonly Counter<long> _appended;
    private readonly Counter<long> _expired;
    private readonly Counter<long> _corrupt;
    private readonly Counter<long> _maintenanceFailures;

    public StoreMetrics(Func<IEnumerable<Measurement<long>>> observePending)
    {
        Meter = new Meter(MeterName);
        _appended = Meter.CreateCounter<long>("edge_hub_store_appended_total", description: "Messages appended to the store.");
        _expired = Meter.CreateCounter<long>("edge_hub_store_expired_total", description: "Endpoint entries dropped because their time to live passed.");
        _corrupt = Meter.CreateCounter<long>("edge_hub_store_corrupt_records_total", description: "Torn or corrupt records found (and truncated) when the store opened.");
        _maintenanceFailures = Meter.CreateCounter<long>("edge_hub_store_maintenance_failures_total", description: "Failed checkpoint writes or expiry sweeps.");
        Meter.CreateObservableGauge("edge_hub_store_pending", observePending, description: "Entries neither acknowledged nor expired, per endpoint.");
    }

    public Meter Meter { get; }

    public void Appended(int count) => _appended.Add(count);

    public void Expired(string endpointId) => _expired.Add(1, new KeyValuePair<string, object?>("endpoint", endpointId));

    public void Corrupt() => _corrupt.Add(1);

    public void MaintenanceFailed() => _maintenanceFailures.Add(1);

    public void Dispose() => Meter.Dispose();
}
