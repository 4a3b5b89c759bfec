namespace SensorIngest.Modbus;

/// <summary>Behaviour of a <see cref="ModbusClient"/>.</summary>
public sealed class ModbusClientOptions
{
    /// <summary>Time for one attempt (request sent to response parsed); applied when the caller's token cannot be cancelled, and always as an upper bound per attempt.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Time to open the connection (TCP connect or opening the serial port).</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>Extra attempts after a timeout, I/O or framing error. Exception responses are not retried.</summary>
    public int Retries { get; set; } = 2;

    /// <summary>Delay before the first retry; doubles per retry (capped at 10 s).</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Requests in flight per TCP connection. 1 (the default) serializes, since many slaves cannot pipeline. Ignored for RTU (the serial line is half duplex).</summary>
    public int MaxInFlight { get; set; } = 1;

    /// <summary>
    /// Modbus TCP only, with <see cref="MaxInFlight"/> 1: blocking socket I/O on the caller's thread instead of asynchronous I/O.
    /// About a third more polls/s against a slave on loopback or a LAN (no hand-off of each completion to a pool thread), but each
    /// request blocks a pool thread for its round trip, up to <see cref="Timeout"/> for a silent slave. Off by default.
    /// </summary>
    public bool BlockingSocket { get; set; }

    /// <summary>Name used in metrics tags and messages (for example the slave's name); optional.</summary>
    public string? Name { get; set; }

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(Timeout, TimeSpan.Zero, nameof(Timeout));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ConnectTimeout, TimeSpan.Zero, nameof(ConnectTimeout));
        ArgumentOutOfRangeException.ThrowIfNegative(Retries, nameof(Retries));
        ArgumentOutOfRangeException.ThrowIfLessThan(RetryDelay, TimeSpan.Zero, nameof(RetryDelay));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxInFlight, 1, nameof(MaxInFlight));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxInFlight, 256, nameof(MaxInFlight));
        if (BlockingSocket && MaxInFlight > 1)
        {
            throw new ArgumentException("BlockingSocket serializes requests; it cannot be combined with MaxInFlight > 1", nameof(BlockingSocket));
        }
    }
}
