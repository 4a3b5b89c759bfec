using System.Net;
using System.Net.Sockets;
using System.Text;
using EdgeCtl.Manifest;
using EdgeCtl.Supervisor;
using static EdgeCtl.Tests.Supervisor.SupervisorHarness;

namespace EdgeCtl.Tests.Supervisor;

[Trait("Category", "Integration")]
public class ModuleSupervisorHealthTests
{
    private static SupervisorOptions Fast(SupervisorOptions o) => new()
    {
        StateDirectory = o.StateDirectory,
        Console = o.Console,
        HealthGracePeriod = TimeSpan.FromSeconds(1),
        HealthInterval = TimeSpan.FromSeconds(1),
        HealthFailureThreshold = 2,
    };

    [Fact]
    public async Task OnUnhealthy_WhenHealthChecksFail_StopsAndRestartsTheModule()
    {
        await using var endpoint = new FakeHealthEndpoint(HttpStatusCode.ServiceUnavailable);
        await using var h = new SupervisorHarness(Fast);
        await h.Supervisor.StartAsync([Shell("dev1", Spec("m", RestartPolicy.OnUnhealthy), "sleep 30", endpoint.Env)], CancellationToken.None);
        ModuleStatus running = await h.WaitForAsync("dev1/m", s => s.State == ModuleState.Running);

        ModuleStatus backoff = await PumpUntil(h, "dev1/m", s => s.State == ModuleState.Backoff);

        Assert.Contains("unhealthy", backoff.LastError);
        Assert.False(ProcessControl.IsAlive(running.ProcessId!.Value));
        Assert.True(endpoint.Requests >= 2);
    }

    [Fact]
    public async Task OnFailure_WhenHealthChecksFail_ShowsUnhealthyAndKeepsTheProcess()
    {
        await using var endpoint = new FakeHealthEndpoint(HttpStatusCode.InternalServerError);
        await using var h = new SupervisorHarness(Fast);
        await h.Supervisor.StartAsync([Shell("dev1", Spec("m", RestartPolicy.OnFailure), "sleep 30", endpoint.Env)], CancellationToken.None);
        ModuleStatus running = await h.WaitForAsync("dev1/m", s => s.State == ModuleState.Running);

        ModuleStatus unhealthy = await PumpUntil(h, "dev1/m", s => s.State == ModuleState.Unhealthy);
        Assert.Equal(running.ProcessId, unhealthy.ProcessId);
        Assert.True(ProcessControl.IsAlive(running.ProcessId!.Value));

        endpoint.Status = HttpStatusCode.OK;
        int mark = h.Mark();
        ModuleStatus recovered = await PumpUntil(h, "dev1/m", s => s.State == ModuleState.Running, mark);
        Assert.Equal(running.ProcessId, recovered.ProcessId);
    }

    [Fact]
    public async Task ModuleWithoutHealthEndpoint_CountsAsHealthy()
    {
        await using var h = new SupervisorHarness(Fast);
        await h.Supervisor.StartAsync([Shell("dev1", Spec("m", RestartPolicy.OnUnhealthy), "sleep 30")], CancellationToken.None);
        await h.WaitForAsync("dev1/m", s => s.State == ModuleState.Running);

        for (int i = 0; i < 20; i++)
        {
            h.Clock.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(30);
        }

        Assert.Equal(ModuleState.Running, h.Supervisor.Snapshot().Single().State);
        Assert.DoesNotContain(h.History, s => s.State is ModuleState.Unhealthy or ModuleState.Backoff);
    }

    /// <summary>Moves the manual clock a second at a time (health requests are real) until the status appears.</summary>
    private static async Task<ModuleStatus> PumpUntil(SupervisorHarness h, string key, Func<ModuleStatus, bool> match, int from = 0)
    {
        DateTime deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            ModuleStatus? found = h.History.Skip(from).FirstOrDefault(s => s.Key == key && match(s));
            if (found is not null) return found;
            if (DateTime.UtcNow > deadline) throw new TimeoutException("status not reached: " + string.Join(Environment.NewLine, h.History));
            h.Clock.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(50);
        }
    }

    /// <summary>A loopback HTTP endpoint answering every request with <see cref="Status"/>.</summary>
    private sealed class FakeHealthEndpoint : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _cts = new();
        private readonly Task _loop;
        private int _requests;

        public FakeHealthEndpoint(HttpStatusCode status)
        {
            Status = status;
            _listener.Start();
            Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
            Env = new Dictionary<string, string> { ["EdgeKit__MetricsPort"] = Port.ToString(System.Globalization.CultureInfo.InvariantCulture) };
            _loop = AcceptAsync();
        }

        public int Port { get; }

        public IReadOnlyDictionary<string, string> Env { get; }

        public volatile HttpStatusCode Status;

        public int Requests => Volatile.Read(ref _requests);

        private async Task AcceptAsync()
        {
            while (!_cts.IsCancellationRequested)
            {
                try
                {
                    using TcpClient client = await _listener.AcceptTcpClientAsync(_cts.Token);
                    NetworkStream stream = client.GetStream();
                    byte[] buffer = new byte[4096];
                    var request = new StringBuilder();
                    while (!request.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
                    {
                        int n = await stream.ReadAsync(buffer, _cts.Token);
                        if (n == 0) break;
                        request.Append(Encoding.ASCII.GetString(buffer, 0, n));
                    }

                    Interlocked.Increment(ref _requests);
                    byte[] response = Encoding.ASCII.GetBytes($"HTTP/1.1 {(int)Status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                    await stream.WriteAsync(response, _cts.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                catch (IOException)
                {
                    // Next client.
                }
                catch (SocketException)
                {
                    // Next client.
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _cts.CancelAsync();
            _listener.Stop();
            await _loop;
            _cts.Dispose();
        }
    }
}
