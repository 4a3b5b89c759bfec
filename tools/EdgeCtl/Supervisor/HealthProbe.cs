using System.Net;
using System.Net.Sockets;

namespace EdgeCtl.Supervisor;

/// <summary>The answer of one health request.</summary>
internal enum HealthResult
{
    Healthy,
    Unhealthy,
    Refused,
}

/// <summary>GET <c>http://127.0.0.1:{port}/health/live</c> (EdgeKit's hosting endpoint).</summary>
internal sealed class HealthProbe(TimeSpan requestTimeout) : IDisposable
{
    private readonly HttpClient _http = new(new SocketsHttpHandler { UseProxy = false, PooledConnectionLifetime = TimeSpan.FromMinutes(1) }) { Timeout = Timeout.InfiniteTimeSpan };

    public async Task<HealthResult> CheckAsync(int port, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(requestTimeout);
        try
        {
            using HttpResponseMessage response = await _http.GetAsync(new Uri($"http://127.0.0.1:{port}/health/live"), timeout.Token).ConfigureAwait(false);
            return response.IsSuccessStatusCode ? HealthResult.Healthy : HealthResult.Unhealthy;
        }
        catch (HttpRequestException ex) when (ex.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused })
        {
            return HealthResult.Refused;
        }
        catch (HttpRequestException)
        {
            return HealthResult.Unhealthy;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return HealthResult.Unhealthy;
        }
    }

    /// <summary>A loopback port that was free a moment ago.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Whether nothing listens on the loopback port.</summary>
    public static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    public void Dispose() => _http.Dispose();
}
