using EdgeHub.Diagnostics;
using Microsoft.Extensions.Logging;

namespace EdgeHub.Delivery;

/// <summary>Shared failure handling of the endpoint dispatchers: count, log, then wait 200 ms doubling up to 30 s.</summary>
internal static class DeliveryBackoff
{
    /// <summary>Returns false when the hub is stopping (the dispatcher should end).</summary>
    public static async Task<bool> AfterFailureAsync(Exception exception, int failures, string endpointId, HubMetrics metrics, ILogger logger, CancellationToken stoppingToken)
    {
        int delay = Math.Min(30_000, 100 << Math.Min(failures, 9));
        metrics.DeliveryErrors.Add(1);
        HubLog.DeliveryFailed(logger, exception, endpointId, delay);
        try
        {
            await Task.Delay(delay, stoppingToken).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
