using System.Text.Json;
using EdgeHub.Messaging;
namespace EdgeHub.Routing;
public sealed class Route { public string Name { get; } = ""; public RouteSink Sink { get; } = null!; public int Priority { get; } public int TimeToLiveSecs { get; } }
public sealed class RouteSink { public string EndpointId { get; } = ""; }
public sealed record RouteError(string RouteName, int Line, int Column, string Message);
public sealed class RouteTable { public IReadOnlyList<Route> Routes { get; } = []; public static RouteTable FromManifest(JsonElement e, out IReadOnlyList<RouteError> errors) { errors = []; return new(); } public void Match(HubMessage m, List<Route> r) { } }
