using Microsoft.Extensions.Logging;

namespace EdgeCtl.Up;

/// <summary>Starts the simulated plant for `up` and publishes its endpoints to modules.</summary>
internal static class PlantRunner
{
    public const int ModbusPort = 15502;
    public const int OpcUaPort = 48400;

    public static Task<IAsyncDisposable?> TryStartAsync(UpOptions options, string state, Dictionary<string, string> peers, Dictionary<string, int> pids, ILogger logger, CancellationToken cancellationToken)
    {
        _ = (options, state, peers, pids, cancellationToken);
        UpLog.PeerFailed(logger, "Simulated plant", "not available in this build");
        return Task.FromResult<IAsyncDisposable?>(null);
    }
}
