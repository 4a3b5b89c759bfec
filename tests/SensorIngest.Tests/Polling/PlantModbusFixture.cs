using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using SensorIngest.Polling;
using SimulatedPlant.Modbus;
using SimulatedPlant.Process;

namespace SensorIngest.Tests.Polling;

/// <summary>The simulated plant's real Modbus TCP server, in-process on a free loopback port.</summary>
public sealed class PlantModbusFixture : IAsyncLifetime
{
    public PumpLine Line { get; } = new(new PumpLineOptions());

    public ModbusTcpServer Server { get; private set; } = null!;

    public int Port => Server.Port;

    public async Task InitializeAsync()
    {
        Server = new ModbusTcpServer(new PlantModbusMap(Line), new ModbusTcpServerOptions { Port = 0 });
        await Server.StartAsync(CancellationToken.None);
    }

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

/// <summary>Collects batches instead of sending them to a hub.</summary>
public sealed class ListTelemetrySink : ITelemetrySink
{
    public ConcurrentQueue<TelemetryBatch> Batches { get; } = new();

    public ValueTask PublishAsync(TelemetryBatch batch, CancellationToken cancellationToken)
    {
        Batches.Enqueue(batch);
        return ValueTask.CompletedTask;
    }

    public int Count(string source) => Batches.Count(b => b.Source == source);

    public async Task WaitForAsync(Func<bool> condition, TimeSpan? timeout = null)
    {
        DateTime end = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (!condition())
        {
            if (DateTime.UtcNow > end)
            {
                throw new TimeoutException("condition not reached");
            }

            await Task.Delay(10);
        }
    }
}

/// <summary>Accepts connections and never answers: a slave that went silent.</summary>
public sealed class SilentSlave : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly List<Socket> _accepted = [];
    private readonly CancellationTokenSource _cts = new();
    private readonly Task _accept;

    public SilentSlave()
    {
        _listener.Start();
        _accept = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    Socket s = await _listener.AcceptSocketAsync(_cts.Token);
                    lock (_accepted)
                    {
                        _accepted.Add(s);
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        });
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public async ValueTask DisposeAsync()
    {
        await _cts.CancelAsync();
        _listener.Stop();
        await _accept;
        lock (_accepted)
        {
            foreach (Socket s in _accepted)
            {
                s.Dispose();
            }
        }

        _cts.Dispose();
    }
}
