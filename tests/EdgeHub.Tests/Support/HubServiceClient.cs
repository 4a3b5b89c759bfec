using System.Text;
using System.Text.Json.Nodes;
using EdgeKit.Auth;

namespace EdgeHub.Tests.Support;

/// <summary>Calls the hub process's IoT Hub service REST subset with a service SAS token, as cloud code does.</summary>
public sealed class HubServiceClient(HubProcess hub)
{
    private static readonly HttpClient Http = new();

    public async Task<JsonNode> GetTwinAsync(string moduleId)
    {
        using var request = Request(HttpMethod.Get, $"twins/{HubTestHost.DeviceId}/modules/{moduleId}", null);
        return await SendAsync(request);
    }

    public async Task<JsonNode> PatchDesiredAsync(string moduleId, JsonObject desired)
    {
        using var request = Request(HttpMethod.Patch, $"twins/{HubTestHost.DeviceId}/modules/{moduleId}", new JsonObject { ["properties"] = new JsonObject { ["desired"] = desired } });
        return await SendAsync(request);
    }

    public async Task<JsonNode> InvokeAsync(string moduleId, string method, JsonObject payload)
    {
        using var request = Request(HttpMethod.Post, $"twins/{HubTestHost.DeviceId}/modules/{moduleId}/methods", new JsonObject { ["methodName"] = method, ["payload"] = payload, ["responseTimeoutInSeconds"] = 10 });
        return await SendAsync(request);
    }

    private HttpRequestMessage Request(HttpMethod method, string path, JsonNode? body)
    {
        var identities = JsonNode.Parse(File.ReadAllText(Path.Combine(hub.State, "hub", "identities.json")))!;
        byte[] key = Convert.FromBase64String(identities["serviceKey"]!.GetValue<string>());
        var request = new HttpRequestMessage(method, new Uri($"http://127.0.0.1:{hub.HttpPort}/{path}"));
        request.Headers.TryAddWithoutValidation("Authorization", SharedAccessSignature.Create(HubTestHost.HubName, key, DateTimeOffset.UtcNow.AddHours(1), "service"));
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }

        return request;
    }

    private static async Task<JsonNode> SendAsync(HttpRequestMessage request)
    {
        using var response = await Http.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{request.Method} {request.RequestUri}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!;
    }
}
