using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace EdgeHub.Hosting;

/// <summary>
/// The local stand-in for IoT Edge's certificate chain: an edge CA (what the workload API's trust bundle returns)
/// and the hub's server certificate signed by it, for `localhost`, `127.0.0.1` and the gateway host name.
/// Both are created once and kept in `{state}/certs` so modules keep trusting the hub across restarts.
/// </summary>
public sealed class HubCertificates : IDisposable
{
    private HubCertificates(X509Certificate2 ca, X509Certificate2 server)
    {
        EdgeCa = ca;
        Server = server;
    }

    public X509Certificate2 EdgeCa { get; }

    /// <summary>The server certificate with its private key.</summary>
    public X509Certificate2 Server { get; }

    /// <summary>The trust bundle in PEM, as `GET /trust-bundle` returns it.</summary>
    public string TrustBundlePem => EdgeCa.ExportCertificatePem();

    public static HubCertificates LoadOrCreate(string? stateDirectory, string gatewayHostName)
    {
        string? folder = stateDirectory is null ? null : Path.Combine(stateDirectory, "certs");
        string? caPath = folder is null ? null : Path.Combine(folder, "edge-ca.pfx");
        string? serverPath = folder is null ? null : Path.Combine(folder, "edgehub-server.pfx");
        if (caPath is not null && serverPath is not null && File.Exists(caPath) && File.Exists(serverPath))
        {
            var ca = X509CertificateLoader.LoadPkcs12FromFile(caPath, null, X509KeyStorageFlags.Exportable);
            var server = X509CertificateLoader.LoadPkcs12FromFile(serverPath, null, X509KeyStorageFlags.Exportable);
            if (server.NotAfter > DateTime.UtcNow.AddDays(1))
            {
                return new HubCertificates(ca, server);
            }
        }

        var created = Create(gatewayHostName);
        if (folder is not null)
        {
            Directory.CreateDirectory(folder);
            File.WriteAllBytes(caPath!, created.EdgeCa.Export(X509ContentType.Pkcs12));
            File.WriteAllBytes(serverPath!, created.Server.Export(X509ContentType.Pkcs12));
        }

        return created;
    }

    public static HubCertificates Create(string gatewayHostName)
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=Local Edge CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 1, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        var now = DateTimeOffset.UtcNow.AddMinutes(-5);
        using var caWithKey = caRequest.CreateSelfSigned(now, now.AddYears(1));

        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var serverRequest = new CertificateRequest("CN=" + gatewayHostName, serverKey, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(gatewayHostName);
        san.AddDnsName("localhost");
        san.AddIpAddress(IPAddress.Loopback);
        serverRequest.CertificateExtensions.Add(san.Build());
        serverRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        serverRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        serverRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        byte[] serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        using var serverPublic = serverRequest.Create(caWithKey, now, now.AddDays(90), serial);
        using var serverWithKey = serverPublic.CopyWithPrivateKey(serverKey);

        // Round-trip through PKCS#12 so the keys are usable by SslStream on every platform.
        var ca = X509CertificateLoader.LoadPkcs12(caWithKey.Export(X509ContentType.Pkcs12), null, X509KeyStorageFlags.Exportable);
        var server = X509CertificateLoader.LoadPkcs12(serverWithKey.Export(X509ContentType.Pkcs12), null, X509KeyStorageFlags.Exportable);
        return new HubCertificates(ca, server);
    }

    public void Dispose()
    {
        EdgeCa.Dispose();
        Server.Dispose();
    }
}
