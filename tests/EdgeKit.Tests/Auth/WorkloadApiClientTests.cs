using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using EdgeKit.Auth;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace EdgeKit.Tests.Auth;

/// <summary>A real HTTP server on a unix socket plays the IoT Edge workload API.</summary>
[Trait("Category", "Integration")]
public sealed class WorkloadApiClientTests : IAsyncLifetime
{
    private static readonly byte[] s_moduleKey = RandomNumberGenerator.GetBytes(32);
    private readonly string _socketPath = Path.Combine(Path.GetTempPath(), $"workload-{Guid.NewGuid():N}.sock");
    private readonly List<string> _requests = [];
    private WebApplication? _app;
    private string _caPem = string.Empty;

    public async Task InitializeAsync()
    {
        using var key = ECDsa.Create();
        using X509Certificate2 ca = new CertificateRequest("CN=Test Edge CA", key, HashAlgorithmName.SHA256)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        _caPem = ca.ExportCertificatePem();

        WebApplicationBuilder builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k => k.ListenUnixSocket(_socketPath));
        _app = builder.Build();
        _app.Run(async context =>
        {
            lock (_requests)
            {
                _requests.Add($"{context.Request.Method} {context.Request.Path}{context.Request.QueryString}");
            }

            if (context.Request.Path == "/modules/mod1/genid/gen1/sign" && context.Request.Method == "POST")
            {
                JsonNode body = (await JsonNode.ParseAsync(context.Request.Body))!;
                if ((string?)body["keyId"] != "primary" || (string?)body["algo"] != "HMACSHA256")
                {
                    context.Response.StatusCode = 400;
                    return;
                }

                byte[] data = Convert.FromBase64String((string)body["data"]!);
                string digest = Convert.ToBase64String(HMACSHA256.HashData(s_moduleKey, data));
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync(new JsonObject { ["digest"] = digest }.ToJsonString());
            }
            else if (context.Request.Path == "/trust-bundle")
            {
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync(new JsonObject { ["certificate"] = _caPem }.ToJsonString());
            }
            else
            {
                context.Response.StatusCode = 404;
                await context.Response.WriteAsync("{\"message\":\"not found\"}");
            }
        });
        await _app.StartAsync();
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        File.Delete(_socketPath);
    }

    [Fact]
    public async Task SignatureProvider_OverUnixSocket_ProducesTokenVerifiableWithModuleKey()
    {
        using var client = new WorkloadApiClient(new Uri("unix://" + _socketPath));
        var provider = new WorkloadSignatureProvider(client, "mod1", "gen1");
        DateTimeOffset expiry = DateTimeOffset.UtcNow.AddHours(1);

        string token = await SharedAccessSignature.CreateAsync("hub/devices/dev1/modules/mod1", provider, expiry, CancellationToken.None);

        Assert.Equal(SharedAccessSignature.Create("hub/devices/dev1/modules/mod1", s_moduleKey, expiry), token);
        Assert.True(SharedAccessSignature.TryParse(token, out SasToken parsed, out _));
        Assert.True(SharedAccessSignature.Verify(parsed, s_moduleKey, DateTimeOffset.UtcNow));
        Assert.Contains("POST /modules/mod1/genid/gen1/sign?api-version=2018-06-28", _requests);
    }

    [Fact]
    public async Task TrustBundle_ReturnsCertificates()
    {
        using var client = new WorkloadApiClient(new Uri("unix://" + _socketPath));
        X509Certificate2Collection bundle = await client.GetTrustBundleAsync(CancellationToken.None);
        Assert.Single(bundle);
        Assert.Equal("CN=Test Edge CA", bundle[0].Subject);
        Assert.Contains("GET /trust-bundle?api-version=2018-06-28", _requests);
    }

    [Fact]
    public async Task Sign_UnknownModule_ThrowsWithStatus()
    {
        using var client = new WorkloadApiClient(new Uri("unix://" + _socketPath));
        var ex = await Assert.ThrowsAsync<WorkloadApiException>(() => client.SignAsync("other", "gen1", "x", CancellationToken.None));
        Assert.Equal(404, ex.StatusCode);
    }
}
