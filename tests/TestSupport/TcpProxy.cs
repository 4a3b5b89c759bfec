using System.Net;
using System.Net.Sockets;

namespace TestSupport;

/// <summary>
/// A loopback TCP proxy in front of a real peer, to inject faults the peer cannot: swallow everything the server sends
/// (lost acknowledgements) and cut every connection.
/// </summary>
public sealed class TcpProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly string _upstreamHost;
    private readonly int _upstreamPort;
    private readonly CancellationTokenSource _cts = new();
    private readonly List<(TcpClient Client, TcpClient Server)> _connections = [];
    private readonly Task _acceptLoop;
    private volatile bool _swallowDownstream;

    public TcpProxy(string upstreamHost, int upstreamPort)
    {
        (_upstreamHost, _upstreamPort) = (upstreamHost, upstreamPort);
        _listener.Start();
        _acceptLoop = AcceptAsync();
    }

    /// <summary>The proxy's port.</summary>
    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Number of connections accepted so far.</summary>
    public int Accepted { get; private set; }

    /// <summary>While true, bytes from the server are read and dropped instead of forwarded.</summary>
    public bool SwallowDownstream
    {
        get => _swallowDownstream;
        set => _swallowDownstream = value;
    }

    /// <summary>Closes every proxied connection (the client sees a reset).</summary>
    public void DropConnections()
    {
        lock (_connections)
        {
            foreach ((TcpClient client, TcpClient server) in _connections)
            {
                try
                {
                    // Reset rather than close gracefully, like a lost network would look to the client.
                    client.Client.LingerState = new LingerOption(true, 0);
                }
                catch (ObjectDisposedException)
                {
                }

                client.Dispose();
                server.Dispose();
            }

            _connections.Clear();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _cts.CancelAsync();
        _listener.Stop();
        DropConnections();
        try
        {
            await _acceptLoop;
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        _cts.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_cts.IsCancellationRequested)
        {
            TcpClient client = await _listener.AcceptTcpClientAsync(_cts.Token);
            var server = new TcpClient();
            await server.ConnectAsync(_upstreamHost, _upstreamPort, _cts.Token);
            client.NoDelay = true;
            server.NoDelay = true;
            lock (_connections)
            {
                _connections.Add((client, server));
                Accepted++;
            }

            _ = PumpAsync(client.GetStream(), server.GetStream(), downstream: false);
            _ = PumpAsync(server.GetStream(), client.GetStream(), downstream: true);
        }
    }

    private async Task PumpAsync(NetworkStream from, NetworkStream to, bool downstream)
    {
        byte[] buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                int read = await from.ReadAsync(buffer, _cts.Token);
                if (read == 0)
                {
                    break;
                }

                if (downstream && _swallowDownstream)
                {
                    continue;
                }

                await to.WriteAsync(buffer.AsMemory(0, read), _cts.Token);
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException or SocketException)
        {
        }
        finally
        {
            from.Dispose();
            to.Dispose();
        }
    }
}
