using System.Text.Json;
using EdgeHub.Messaging;
using EdgeHub.Routing.Conditions;

namespace EdgeHub.Routing;

/// <summary>
/// The routes of one edgeHub configuration. Immutable and thread-safe: the hub swaps the whole table when the
/// manifest changes.
/// </summary>
public sealed class RouteTable
{
    private readonly Route[] routes;

    public RouteTable(IEnumerable<Route> routes)
    {
        ArgumentNullException.ThrowIfNull(routes);
        this.routes = routes.ToArray();
    }

    public static RouteTable Empty { get; } = new([]);

    public IReadOnlyList<Route> Routes => routes;

    /// <summary>
    /// Reads <c>$edgeHub.properties.desired.routes</c>: schema 1.0 (<c>"name": "FROM ..."</c>) and schema 1.1
    /// (<c>"name": {"route": "FROM ...", "priority": 0-9, "timeToLiveSecs": n}</c>), mixed freely. Every bad route is
    /// reported in <paramref name="errors"/> and left out; the good ones form the table.
    /// </summary>
    public static RouteTable FromManifest(JsonElement routes, out IReadOnlyList<RouteError> errors)
    {
        var found = new List<RouteError>();
        var compiled = new List<Route>();
        errors = found;
        if (routes.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null)
        {
            return Empty;
        }

        if (routes.ValueKind != JsonValueKind.Object)
        {
            found.Add(new RouteError(string.Empty, 0, 0, $"routes must be a JSON object of name: route, not {routes.ValueKind}"));
            return Empty;
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (JsonProperty property in routes.EnumerateObject())
        {
            string name = property.Name;
            if (!names.Add(name))
            {
                found.Add(new RouteError(name, 0, 0, "duplicate route name"));
                continue;
            }

            if (!TryReadEntry(property.Value, out string? text, out int priority, out int ttl, out string? problem))
            {
                found.Add(new RouteError(name, 0, 0, problem!));
                continue;
            }

            try
            {
                compiled.Add(RouteParser.Parse(name, text!, priority, ttl));
            }
            catch (RouteSyntaxException ex)
            {
                found.Add(new RouteError(name, ex.Line, ex.Column, ex.Reason));
            }
        }

        return new RouteTable(compiled);
    }

    /// <summary>
    /// Appends every route whose source and condition match <paramref name="message"/>, in table order. The caller owns and
    /// clears the list; no allocation per call in the steady state (JSON bodies in UTF-16/UTF-32 are transcoded once per call).
    /// </summary>
    public void Match(HubMessage message, List<Route> matched)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(matched);
        MessageSource source = message.Source;
        var context = new EvaluationContext(message);
        Route[] all = routes;
        for (int i = 0; i < all.Length; i++)
        {
            Route route = all[i];
            if (!route.Source.Matches(in source))
            {
                continue;
            }

            if (route.Condition is null || route.Condition.Evaluate(ref context))
            {
                matched.Add(route);
            }
        }
    }

    /// <summary>
    /// Like <see cref="Match"/>, but appends one route per endpoint, as edgeHub's evaluator delivers a message once per
    /// endpoint: among matching routes into the same endpoint, the highest priority (lowest number) wins, and on equal
    /// priority the first in table order. Its priority and time to live are the ones to enqueue with.
    /// </summary>
    public void MatchEndpoints(HubMessage message, List<Route> targets)
    {
        ArgumentNullException.ThrowIfNull(targets);
        int start = targets.Count;
        Match(message, targets);
        int kept = start;
        for (int i = start; i < targets.Count; i++)
        {
            Route candidate = targets[i];
            int existing = -1;
            for (int j = start; j < kept; j++)
            {
                if (string.Equals(targets[j].Sink.EndpointId, candidate.Sink.EndpointId, StringComparison.Ordinal))
                {
                    existing = j;
                    break;
                }
            }

            if (existing < 0)
            {
                targets[kept++] = candidate;
            }
            else if (candidate.Priority < targets[existing].Priority)
            {
                targets[existing] = candidate;
            }
        }

        targets.RemoveRange(kept, targets.Count - kept);
    }

    private static bool TryReadEntry(JsonElement value, out string? text, out int priority, out int ttl, out string? problem)
    {
        text = null;
        priority = Route.HighestPriority;
        ttl = 0;
        problem = null;
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                text = value.GetString();
                return true;
            case JsonValueKind.Object:
                break;
            default:
                problem = $"a route must be a string (schema 1.0) or an object with \"route\" (schema 1.1), not {value.ValueKind}";
                return false;
        }

        if (!value.TryGetProperty("route", out JsonElement route) || route.ValueKind != JsonValueKind.String)
        {
            problem = "missing \"route\" string";
            return false;
        }

        text = route.GetString();
        if (value.TryGetProperty("priority", out JsonElement p) && p.ValueKind != JsonValueKind.Null)
        {
            if (p.ValueKind != JsonValueKind.Number || !p.TryGetInt32(out priority) || priority < Route.HighestPriority || priority > Route.LowestPriority)
            {
                problem = $"\"priority\" must be an integer from {Route.HighestPriority} (highest) to {Route.LowestPriority}, not {p.GetRawText()}";
                return false;
            }
        }

        if (value.TryGetProperty("timeToLiveSecs", out JsonElement t) && t.ValueKind != JsonValueKind.Null)
        {
            if (t.ValueKind != JsonValueKind.Number || !t.TryGetInt32(out ttl) || ttl < 0)
            {
                problem = $"\"timeToLiveSecs\" must be a non-negative integer (0 = store default), not {t.GetRawText()}";
                return false;
            }
        }

        return true;
    }
}
