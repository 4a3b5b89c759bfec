namespace SensorIngest.Modbus;

/// <summary>
/// Carries one request PDU to a unit and returns the response PDU. Implementations frame (MBAP or RTU), connect lazily and
/// throw <see cref="ModbusProtocolException"/>, <see cref="IOException"/> or <see cref="OperationCanceledException"/>; the client retries
/// and calls <see cref="ResetAsync"/> after any failure so the next attempt starts on a fresh connection.
/// </summary>
internal abstract class ModbusTransport : IAsyncDisposable
{
    private long _discarded;

    /// <summary>Responses dropped because their transaction id matched no request in flight.</summary>
    public long Discarded => Interlocked.Read(ref _discarded);

    public abstract string Endpoint { get; }

    /// <summary>Sends <paramref name="request"/> and copies the response PDU into <paramref name="response"/> (253 bytes); returns its length.</summary>
    public abstract ValueTask<int> ExchangeAsync(byte unit, ReadOnlyMemory<byte> request, Memory<byte> response, CancellationToken cancellationToken);

    /// <summary>Closes the connection; the next exchange reconnects.</summary>
    public abstract ValueTask ResetAsync();

    public abstract ValueTask DisposeAsync();

    protected void CountDiscarded()
    {
        Interlocked.Increment(ref _discarded);
        ModbusMetrics.Error("discarded");
    }

    protected static async Task<T> WithTimeoutAsync<T>(Func<CancellationToken, Task<T>> open, TimeSpan timeout, string endpoint, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            return await open(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ModbusTimeoutException($"connecting to {endpoint} timed out after {timeout.TotalMilliseconds:0} ms");
        }
    }
}
