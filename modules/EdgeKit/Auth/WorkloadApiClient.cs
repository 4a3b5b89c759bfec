using System.Net.Http.Json;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Serialization;

namespace EdgeKit.Auth;

/// <summary>
/// Client of the IoT Edge workload API (<c>IOTEDGE_WORKLOADURI</c>): HMAC signing with the module's key held by the
/// security daemon and the trust bundle that validates edgeHub's server certificate.
/// Accepts <c>unix:///path/to/workload.sock</c> or <c>http://host:port</c>.
/// </summary>
public sealed class WorkloadApiClient : IDisposable
{
    /// <summary>The workload API version IoT Edge 1.x serves.</summary>
    public const string DefaultApiVersion = "2018-06-28";

    private readonly HttpClient _http;
    private readonly string _apiVersion;

    /// <summary>Creates a client for <paramref name="workloadUri"/>.</summary>
    public WorkloadApiClient(Uri workloadUri, string? apiVersion = null, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(workloadUri);
        _apiVersion = string.IsNullOrEmpty(apiVersion) ? DefaultApiVersion : apiVersion;
        var handler = new SocketsHttpHandler();
        Uri baseAddress;
        if (workloadUri.Scheme == "unix")
        {
            string socketPath = workloadUri.AbsolutePath;
            handler.ConnectCallback = async (_, ct) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), ct).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            };
            baseAddress = new Uri("http://workload.sock/");
        }
        else if (workloadUri.Scheme is "http" or "https")
        {
            // iotedged's URI has no path; the local hub serves one workload API per device under a path prefix
            // (http://127.0.0.1:15580/workload/{device}/), so the path is kept.
            baseAddress = new Uri(workloadUri.GetLeftPart(UriPartial.Path).TrimEnd('/') + "/");
        }
        else
        {
            throw new ArgumentException($"Unsupported workload URI scheme '{workloadUri.Scheme}'.", nameof(workloadUri));
        }

        _http = new HttpClient(handler) { BaseAddress = baseAddress, Timeout = timeout ?? TimeSpan.FromSeconds(30) };
    }

    /// <summary>
    /// <c>POST /modules/{moduleId}/genid/{generationId}/sign?api-version=..</c> with
    /// <c>{"keyId":"primary","algo":"HMACSHA256","data":"base64"}</c>; returns the base64 digest.
    /// </summary>
    public async Task<string> SignAsync(string moduleId, string generationId, string data, CancellationToken cancellationToken, string keyId = "primary")
    {
        ArgumentException.ThrowIfNullOrEmpty(moduleId);
        ArgumentException.ThrowIfNullOrEmpty(generationId);
        ArgumentNullException.ThrowIfNull(data);
        var request = new WorkloadSignRequest(keyId, "HMACSHA256", Convert.ToBase64String(Encoding.UTF8.GetBytes(data)));
        string path = $"modules/{Uri.EscapeDataString(moduleId)}/genid/{Uri.EscapeDataString(generationId)}/sign?api-version={_apiVersion}";
        using HttpResponseMessage response = await _http.PostAsJsonAsync(path, request, WorkloadJsonContext.Default.WorkloadSignRequest, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, "sign", cancellationToken).ConfigureAwait(false);
        WorkloadSignResponse? body = await response.Content.ReadFromJsonAsync(WorkloadJsonContext.Default.WorkloadSignResponse, cancellationToken).ConfigureAwait(false);
        return body?.Digest ?? throw new WorkloadApiException("Workload API sign response has no digest.", (int)response.StatusCode);
    }

    /// <summary><c>GET /trust-bundle?api-version=..</c>: the PEM certificates that issue edgeHub's server certificate.</summary>
    public async Task<string> GetTrustBundlePemAsync(CancellationToken cancellationToken)
    {
        using HttpResponseMessage response = await _http.GetAsync($"trust-bundle?api-version={_apiVersion}", cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, "trust-bundle", cancellationToken).ConfigureAwait(false);
        TrustBundleResponse? body = await response.Content.ReadFromJsonAsync(WorkloadJsonContext.Default.TrustBundleResponse, cancellationToken).ConfigureAwait(false);
        return body?.Certificate ?? throw new WorkloadApiException("Workload API trust-bundle response has no certificate.", (int)response.StatusCode);
    }

    /// <summary>Loads the trust bundle as certificates.</summary>
    public async Task<X509Certificate2Collection> GetTrustBundleAsync(CancellationToken cancellationToken)
    {
        var collection = new X509Certificate2Collection();
        collection.ImportFromPem(await GetTrustBundlePemAsync(cancellationToken).ConfigureAwait(false));
        return collection;
    }

    /// <inheritdoc />
    public void Dispose() => _http.Dispose();

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, string operation, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
        {
            string text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            throw new WorkloadApiException($"Workload API {operation} failed with {(int)response.StatusCode}: {text}", (int)response.StatusCode);
        }
    }
}

/// <summary>Signs through the IoT Edge workload API, so the module key never enters the container.</summary>
public sealed class WorkloadSignatureProvider : ISignatureProvider
{
    private readonly WorkloadApiClient _client;
    private readonly string _moduleId;
    private readonly string _generationId;

    /// <summary>Creates a provider for one module generation.</summary>
    public WorkloadSignatureProvider(WorkloadApiClient client, string moduleId, string generationId)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentException.ThrowIfNullOrEmpty(moduleId);
        ArgumentException.ThrowIfNullOrEmpty(generationId);
        (_client, _moduleId, _generationId) = (client, moduleId, generationId);
    }

    /// <inheritdoc />
    public Task<string> SignAsync(string data, CancellationToken cancellationToken)
        => _client.SignAsync(_moduleId, _generationId, data, cancellationToken);
}

/// <summary>A workload API call failed.</summary>
public sealed class WorkloadApiException(string message, int statusCode) : EdgeKitException(message)
{
    /// <summary>The HTTP status the workload API returned.</summary>
    public int StatusCode { get; } = statusCode;
}

internal sealed record WorkloadSignRequest(
    [property: JsonPropertyName("keyId")] string KeyId,
    [property: JsonPropertyName("algo")] string Algo,
    [property: JsonPropertyName("data")] string Data);

internal sealed record WorkloadSignResponse([property: JsonPropertyName("digest")] string? Digest);

internal sealed record TrustBundleResponse([property: JsonPropertyName("certificate")] string? Certificate);

[JsonSerializable(typeof(WorkloadSignRequest))]
[JsonSerializable(typeof(WorkloadSignResponse))]
[JsonSerializable(typeof(TrustBundleResponse))]
internal sealed partial class WorkloadJsonContext : JsonSerializerContext;
