using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using EdgeHub.Diagnostics;
using EdgeHub.Hosting;
using EdgeHub.Mqtt;
using EdgeHub.Twin;
using EdgeKit.Auth;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace EdgeHub.Api;

public sealed record SignRequest(string KeyId, string Algo, string Data);

public sealed record SignResponse(string Digest);

public sealed record TrustBundleResponse(string Certificate);

public sealed record MethodInvocation(string MethodName, JsonNode? Payload, int? ResponseTimeoutInSeconds, int? ConnectTimeoutInSeconds);

public sealed record ErrorBody(int ErrorCode, string Message);

public sealed record EndpointStatus(string Id, long Pending, long Expired);

public sealed record HubStatus(string IotHubHostName, int MqttPort, int MqttTlsPort, string[] ConnectedModules, EndpointStatus[] Endpoints, long UpstreamLastSequenceNumber);

/// <summary>
/// The hub's HTTP side: health, status, the subset of IoT Hub's service REST API the cloud code uses
/// (module twins and direct methods, service SAS), the workload API's sign call (so modules need no key),
/// and upstream event reads for tools.
/// </summary>
public static class HubApi
{
    public static void MapHubApi(this IEndpointRouteBuilder app, EdgeHubServer hub, ILogger logger, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(hub);
        app.MapGet("/health/live", () => Results.Text("live"));
        app.MapGet("/health/ready", () => hub.MqttPort > 0 ? Results.Text("ready") : Results.StatusCode(503));
        app.MapGet("/status", () =>
        {
            var endpoints = new List<EndpointStatus>();
            foreach (var queue in hub.EndpointQueues)
            {
                endpoints.Add(new EndpointStatus(queue.EndpointId, queue.PendingCount, queue.ExpiredCount));
            }

            return Results.Json(new HubStatus(hub.IotHubHostName, hub.MqttPort, hub.MqttTlsPort, [.. hub.ConnectedClientIds], [.. endpoints], hub.Upstream.LastSequenceNumber), HubJsonContext.Default.HubStatus);
        });

        app.MapGet("/twins/{deviceId}/modules/{moduleId}", (HttpContext http, string deviceId, string moduleId) =>
        {
            if (!Authorized(http, hub, logger, time))
            {
                return Unauthorized(hub);
            }

            return TwinResult(hub, deviceId, moduleId);
        });

        app.MapMethods("/twins/{deviceId}/modules/{moduleId}", ["PATCH"], async (HttpContext http, string deviceId, string moduleId) =>
        {
            if (!Authorized(http, hub, logger, time))
            {
                return Unauthorized(hub);
            }

            JsonObject? body;
            try
            {
                body = await JsonNode.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted).ConfigureAwait(false) as JsonObject;
            }
            catch (JsonException ex)
            {
                return BadRequest(hub, 400004, "body is not JSON: " + ex.Message);
            }

            var desired = body?["properties"]?["desired"] as JsonObject;
            var tags = body?["tags"] as JsonObject;
            if (desired is null && tags is null)
            {
                return BadRequest(hub, 400004, "body must be an object with properties.desired and/or tags");
            }

            if (!hub.Twins.TryGet(deviceId, moduleId, out _))
            {
                return Results.Json(new ErrorBody(404010, $"module {deviceId}/{moduleId} not found"), HubJsonContext.Default.ErrorBody, statusCode: 404);
            }

            if (tags is not null)
            {
                hub.Twins.PatchTags(deviceId, moduleId, tags);
            }

            if (desired is not null)
            {
                hub.Twins.PatchDesired(deviceId, moduleId, desired);
            }

            return TwinResult(hub, deviceId, moduleId);
        });

        app.MapPost("/twins/{deviceId}/modules/{moduleId}/methods", async (HttpContext http, string deviceId, string moduleId) =>
        {
            if (!Authorized(http, hub, logger, time))
            {
                return Unauthorized(hub);
            }

            MethodInvocation? invocation;
            try
            {
                invocation = await JsonSerializer.DeserializeAsync(http.Request.Body, HubJsonContext.Default.MethodInvocation, http.RequestAborted).ConfigureAwait(false);
            }
            catch (JsonException ex)
            {
                return BadRequest(hub, 400004, "body is not a method invocation: " + ex.Message);
            }

            if (invocation is null || string.IsNullOrEmpty(invocation.MethodName))
            {
                return BadRequest(hub, 400004, "methodName is required");
            }

            var timeout = TimeSpan.FromSeconds(Math.Clamp(invocation.ResponseTimeoutInSeconds ?? 30, 5, 300));
            var result = await hub.InvokeMethodAsync(deviceId, moduleId, invocation.MethodName, invocation.Payload, timeout, http.RequestAborted).ConfigureAwait(false);
            var response = new JsonObject { ["status"] = result.Status, ["payload"] = result.Payload?.DeepClone() };
            int httpStatus = result.Status is 404 or 504 && result.Payload?["errorCode"] is not null ? result.Status : 200;
            return Results.Text(response.ToJsonString(), "application/json", statusCode: httpStatus);
        });

        // IoT Hub's query API over module twins: POST /devices/query {"query": "SELECT * FROM devices.modules WHERE tags.x = 'y'"}.
        app.MapPost("/devices/query", async (HttpContext http) =>
        {
            if (!Authorized(http, hub, logger, time))
            {
                return Unauthorized(hub);
            }

            string? text;
            try
            {
                text = (await JsonNode.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted).ConfigureAwait(false))?["query"]?.GetValue<string>();
            }
            catch (Exception ex) when (ex is JsonException or InvalidOperationException)
            {
                return BadRequest(hub, 400004, "body must be {\"query\": \"...\"}: " + ex.Message);
            }

            TwinQuery query;
            try
            {
                query = TwinQuery.Parse(text ?? "");
            }
            catch (Exception ex) when (ex is FormatException or EdgeHub.Routing.RouteSyntaxException)
            {
                return BadRequest(hub, 400004, "query not supported: " + ex.Message);
            }

            var result = new JsonArray();
            foreach (var (deviceId, moduleId) in hub.Twins.Modules)
            {
                if (TwinDocument(hub, deviceId, moduleId) is { } twin && query.Matches(twin))
                {
                    result.Add(twin);
                }
            }

            return Results.Text(result.ToJsonString(), "application/json");
        });

        // Workload API (iotedged): POST /modules/{m}/genid/{g}/sign?api-version=2018-06-28, served per device under /workload/{device}.
        app.MapPost("/workload/{deviceId}/modules/{moduleId}/genid/{generationId}/sign", async (HttpContext http, string deviceId, string moduleId, string generationId) =>
        {
            _ = generationId;
            if (!hub.Identities.TryGet(deviceId, moduleId, out var identity))
            {
                return Results.Json(new ErrorBody(404, $"module {deviceId}/{moduleId} not found"), HubJsonContext.Default.ErrorBody, statusCode: 404);
            }

            SignRequest? request;
            try
            {
                request = await JsonSerializer.DeserializeAsync(http.Request.Body, HubJsonContext.Default.SignRequest, http.RequestAborted).ConfigureAwait(false);
            }
            catch (JsonException ex)
            {
                return BadRequest(hub, 400, "sign request is not JSON: " + ex.Message);
            }

            if (request is null || request.Algo != "HMACSHA256" || request.KeyId != "primary")
            {
                return BadRequest(hub, 400, "sign request must use keyId 'primary' and algo 'HMACSHA256'");
            }

            byte[] data;
            try
            {
                data = Convert.FromBase64String(request.Data);
            }
            catch (FormatException)
            {
                return BadRequest(hub, 400, "data is not base64");
            }

            byte[] digest = HMACSHA256.HashData(identity.PrimaryKey, data);
            return Results.Json(new SignResponse(Convert.ToBase64String(digest)), HubJsonContext.Default.SignResponse);
        });

        app.MapGet("/workload/{deviceId}/trust-bundle", (string deviceId) =>
        {
            _ = deviceId;
            return hub.Certificates is { } certificates
                ? Results.Json(new TrustBundleResponse(certificates.TrustBundlePem), HubJsonContext.Default.TrustBundleResponse)
                : Results.Json(new ErrorBody(404, "TLS is off on this hub (no trust bundle)"), HubJsonContext.Default.ErrorBody, statusCode: 404);
        });

        app.MapGet("/upstream", async (HttpContext http, long? from, int? max, int? waitMs) =>
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
            cts.CancelAfter(TimeSpan.FromMilliseconds(Math.Clamp(waitMs ?? 0, 0, 30_000)));
            try
            {
                var events = await hub.Upstream.ReadAsync(from ?? 0, Math.Clamp(max ?? 100, 1, 10_000), cts.Token).ConfigureAwait(false);
                var array = new JsonArray();
                foreach (var ev in events)
                {
                    array.Add(JsonSerializer.SerializeToNode(ev, HubJsonContext.Default.UpstreamEvent));
                }

                return Results.Text(array.ToJsonString(), "application/json");
            }
            catch (OperationCanceledException) when (!http.RequestAborted.IsCancellationRequested)
            {
                return Results.Text("[]", "application/json");
            }
        });
    }

    /// <summary>Checks `Authorization: SharedAccessSignature sr={hub}&amp;sig=..&amp;se=..&amp;skn=service` against the service key.</summary>
    internal static bool Authorized(HttpContext http, EdgeHubServer hub, ILogger logger, TimeProvider time)
    {
        string? header = http.Request.Headers.Authorization;
        string reason;
        if (string.IsNullOrEmpty(header))
        {
            reason = "missing Authorization header";
        }
        else if (!SharedAccessSignature.TryParse(header, out var token, out string? error))
        {
            reason = "malformed SharedAccessSignature: " + error;
        }
        else if (!string.Equals(Uri.UnescapeDataString(token.Resource), hub.IotHubHostName, StringComparison.OrdinalIgnoreCase))
        {
            reason = $"token audience '{token.Resource}' is not '{hub.IotHubHostName}'";
        }
        else if (!SharedAccessSignature.Verify(token, hub.Identities.ServiceKey, time.GetUtcNow()))
        {
            reason = "token expired or signature does not verify";
        }
        else
        {
            return true;
        }

        hub.Metrics.ApiRejected.Add(1);
        HubLog.ApiRejected(logger, http.Request.Method, http.Request.Path, reason);
        return false;
    }

    private static IResult Unauthorized(EdgeHubServer hub)
    {
        _ = hub;
        return Results.Json(new ErrorBody(401002, "IotHubUnauthorizedAccess"), HubJsonContext.Default.ErrorBody, statusCode: 401);
    }

    private static IResult BadRequest(EdgeHubServer hub, int code, string message)
    {
        hub.Metrics.ApiRejected.Add(1);
        return Results.Json(new ErrorBody(code, message), HubJsonContext.Default.ErrorBody, statusCode: 400);
    }

    private static IResult TwinResult(EdgeHubServer hub, string deviceId, string moduleId) =>
        TwinDocument(hub, deviceId, moduleId) is { } document
            ? Results.Text(document.ToJsonString(), "application/json")
            : Results.Json(new ErrorBody(404010, $"module {deviceId}/{moduleId} not found"), HubJsonContext.Default.ErrorBody, statusCode: 404);

    /// <summary>A module twin in IoT Hub's service shape.</summary>
    private static JsonObject? TwinDocument(EdgeHubServer hub, string deviceId, string moduleId)
    {
        if (!hub.Twins.TryGet(deviceId, moduleId, out var twin))
        {
            return null;
        }

        lock (twin)
        {
            return twin.ToServiceDocument(deviceId, moduleId);
        }
    }
}
