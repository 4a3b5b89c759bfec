using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Xunit;

namespace TestSupport.Mqtt;

/// <summary>
/// Starts a real mosquitto broker (Debian's <c>/usr/sbin/mosquitto</c>) in the foreground on a free loopback port
/// and stops it by its process id. <see cref="StopAsync"/>/<see cref="StartAsync"/> restart it on the same port.
/// With <see cref="Persistence"/> the broker saves sessions on a graceful stop (SIGTERM), so a verifying subscriber
/// with a persistent session keeps receiving across a restart.
/// </summary>
public class MosquittoFixture : IAsyncLifetime
{
    /// <summary>Where Debian installs the broker.</summary>
    public const string DefaultPath = "/usr/sbin/mosquitto";

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "mosquitto-" + Guid.NewGuid().ToString("N")[..8]);
    private Process? _process;
    private readonly System.Collections.Concurrent.ConcurrentQueue<Exception> _unobserved = new();

    /// <summary>Loopback address the broker binds.</summary>
    public string Host => "127.0.0.1";

    /// <summary>The broker's port (stable across restarts).</summary>
    public int Port { get; private set; }

    /// <summary>Save sessions and queued messages in a temp folder across graceful restarts.</summary>
    public virtual bool Persistence => false;

    /// <summary>The listener section of the configuration (a subclass adds TLS).</summary>
    protected virtual IEnumerable<string> ListenerLines(string directory)
    {
        yield return $"listener {Port.ToString(CultureInfo.InvariantCulture)} 127.0.0.1";
    }

    /// <summary>Broker output, for diagnosing failures.</summary>
    public string LogPath => Path.Combine(_directory, "mosquitto.log");

    /// <summary>True while the broker process runs.</summary>
    public bool IsRunning => _process is { HasExited: false };

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        string path = Environment.GetEnvironmentVariable("MOSQUITTO_PATH") ?? DefaultPath;
        if (!File.Exists(path))
        {
            throw new InvalidOperationException($"mosquitto not found at {path}: apt-get install -y mosquitto");
        }

        TaskScheduler.UnobservedTaskException += OnUnobservedTaskException;
        Directory.CreateDirectory(_directory);
        Port = GetFreePort();
        await File.WriteAllTextAsync(Path.Combine(_directory, "mosquitto.conf"), string.Join('\n',
            string.Join('\n', ListenerLines(_directory)),
            "allow_anonymous true",
            // The default (1000) drops QoS 1 bursts for slow subscribers.
            "max_queued_messages 0",
            "max_inflight_messages 0",
            Persistence ? "persistence true" : "persistence false",
            $"persistence_location {_directory}/",
            // When started as root mosquitto would switch to user 'mosquitto', which cannot write our temp folder.
            Environment.UserName == "root" ? "user root" : string.Empty,
            "log_dest stdout",
            "log_type error",
            "log_type warning",
            "log_type notice",
            string.Empty)).ConfigureAwait(false);
        await StartAsync().ConfigureAwait(false);
    }

    /// <summary>Starts the broker (again) on <see cref="Port"/> and waits until it accepts connections.</summary>
    public async Task StartAsync()
    {
        string path = Environment.GetEnvironmentVariable("MOSQUITTO_PATH") ?? DefaultPath;
        var info = new ProcessStartInfo(path, ["-c", Path.Combine(_directory, "mosquitto.conf")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        _process = Process.Start(info) ?? throw new InvalidOperationException("mosquitto did not start");
        var log = new StreamWriter(LogPath, append: true) { AutoFlush = true };
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (log) { log.WriteLine(e.Data); } } };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (log) { log.WriteLine(e.Data); } } };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"mosquitto exited with {_process.ExitCode}: {await ReadLogAsync().ConfigureAwait(false)}");
            }

            try
            {
                using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(IPAddress.Loopback, Port).ConfigureAwait(false);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(25).ConfigureAwait(false);
            }
        }

        throw new TimeoutException($"mosquitto did not listen on {Port}: {await ReadLogAsync().ConfigureAwait(false)}");
    }

    /// <summary>Stops the broker by its pid: SIGTERM when <paramref name="graceful"/> (sessions are saved with persistence), else SIGKILL.</summary>
    public async Task StopAsync(bool graceful = true)
    {
        Process? process = _process;
        if (process is null || process.HasExited)
        {
            return;
        }

        if (graceful)
        {
            using Process kill = Process.Start("/bin/kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)]);
            await kill.WaitForExitAsync().ConfigureAwait(false);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                process.Kill();
            }
        }
        else
        {
            process.Kill();
        }

        await process.WaitForExitAsync().ConfigureAwait(false);
        process.Dispose();
        _process = null;
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        await StopAsync(graceful: false).ConfigureAwait(false);
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }

        // Surface exceptions of fire-and-forget tasks that nobody observed while the peer ran.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        TaskScheduler.UnobservedTaskException -= OnUnobservedTaskException;
        if (!_unobserved.IsEmpty)
        {
            throw new AggregateException("Unobserved task exceptions during the test run.", _unobserved);
        }
    }

    private void OnUnobservedTaskException(object? sender, UnobservedTaskExceptionEventArgs e) => _unobserved.Enqueue(e.Exception);

    /// <summary>The broker's output so far.</summary>
    public async Task<string> ReadLogAsync()
    {
        try
        {
            using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            return await reader.ReadToEndAsync().ConfigureAwait(false);
        }
        catch (IOException)
        {
            return string.Empty;
        }
    }

    /// <summary>A currently free loopback TCP port.</summary>
    public static int GetFreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>A <see cref="MosquittoFixture"/> with persistence on, for restart tests.</summary>
public sealed class PersistentMosquittoFixture : MosquittoFixture
{
    /// <inheritdoc />
    public override bool Persistence => true;
}

/// <summary>
/// A <see cref="MosquittoFixture"/> with a TLS listener whose server certificate (SAN 127.0.0.1) is issued by a test CA,
/// like edgeHub's certificate is issued by the device CA of the IoT Edge trust bundle.
/// </summary>
public sealed class TlsMosquittoFixture : MosquittoFixture
{
    /// <summary>The issuing CA in PEM (what the workload API's trust bundle would return).</summary>
    public string CaCertificatePem { get; private set; } = string.Empty;

    /// <inheritdoc />
    protected override IEnumerable<string> ListenerLines(string directory)
    {
        using var caKey = System.Security.Cryptography.RSA.Create(2048);
        var caRequest = new System.Security.Cryptography.X509Certificates.CertificateRequest(
            "CN=EdgeKit Test Device CA", caKey, System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new System.Security.Cryptography.X509Certificates.X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new System.Security.Cryptography.X509Certificates.X509KeyUsageExtension(
            System.Security.Cryptography.X509Certificates.X509KeyUsageFlags.KeyCertSign | System.Security.Cryptography.X509Certificates.X509KeyUsageFlags.CrlSign, true));
        using var ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));

        using var serverKey = System.Security.Cryptography.RSA.Create(2048);
        var serverRequest = new System.Security.Cryptography.X509Certificates.CertificateRequest(
            "CN=edgehub", serverKey, System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1);
        var san = new System.Security.Cryptography.X509Certificates.SubjectAlternativeNameBuilder();
        san.AddIpAddress(System.Net.IPAddress.Loopback);
        serverRequest.CertificateExtensions.Add(san.Build());
        serverRequest.CertificateExtensions.Add(new System.Security.Cryptography.X509Certificates.X509EnhancedKeyUsageExtension(
            [new System.Security.Cryptography.Oid("1.3.6.1.5.5.7.3.1")], false));
        using var server = serverRequest.Create(ca, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(29), [1, 2, 3, 4]);

        CaCertificatePem = ca.ExportCertificatePem();
        File.WriteAllText(Path.Combine(directory, "ca.pem"), CaCertificatePem);
        File.WriteAllText(Path.Combine(directory, "server.pem"), server.ExportCertificatePem());
        File.WriteAllText(Path.Combine(directory, "server.key"), serverKey.ExportPkcs8PrivateKeyPem());

        foreach (string line in base.ListenerLines(directory))
        {
            yield return line;
        }

        yield return $"cafile {directory}/ca.pem";
        yield return $"certfile {directory}/server.pem";
        yield return $"keyfile {directory}/server.key";
        yield return "require_certificate false";
    }
}
