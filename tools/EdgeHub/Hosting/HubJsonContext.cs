using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using EdgeHub.Api;
using EdgeHub.Identity;
using EdgeHub.Upstream;

namespace EdgeHub.Hosting;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(JsonObject))]
[JsonSerializable(typeof(JsonNode))]
[JsonSerializable(typeof(IdentityFile))]
[JsonSerializable(typeof(UpstreamEvent))]
[JsonSerializable(typeof(SignRequest))]
[JsonSerializable(typeof(SignResponse))]
[JsonSerializable(typeof(TrustBundleResponse))]
[JsonSerializable(typeof(MethodInvocation))]
[JsonSerializable(typeof(EndpointStatus))]
[JsonSerializable(typeof(ErrorBody))]
[JsonSerializable(typeof(HubStatus))]
internal sealed partial class HubJsonContext : JsonSerializerContext;
