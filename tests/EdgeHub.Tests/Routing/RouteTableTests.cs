using System.Text.Json;
using EdgeHub.Messaging;
using EdgeHub.Routing;

namespace EdgeHub.Tests.Routing;

[Trait("Category", "Unit")]
public class RouteTableTests
{
    private static JsonElement Json(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    [Fact]
    public void FromManifest_Schema10Strings_CompilesEveryRoute()
    {
        JsonElement routes = Json("""
            {
              "sensorToFilter": "FROM /messages/modules/tempSensor/outputs/temperatureOutput INTO BrokeredEndpoint(\"/modules/filtermodule/inputs/input1\")",
              "filterToIoTHub": "FROM /messages/modules/filtermodule/outputs/output1 INTO $upstream"
            }
            """);

        RouteTable table = RouteTable.FromManifest(routes, out IReadOnlyList<RouteError> errors);

        Assert.Empty(errors);
        Assert.Equal(["sensorToFilter", "filterToIoTHub"], table.Routes.Select(r => r.Name));
        Assert.All(table.Routes, r => Assert.Equal(0, r.Priority));
        Assert.All(table.Routes, r => Assert.Equal(0, r.TimeToLiveSecs));
    }

    [Fact]
    public void FromManifest_Schema11Objects_ReadsPriorityAndTimeToLive()
    {
        JsonElement routes = Json("""
            {
              "alerts": { "route": "FROM /messages/modules/AnomalyDetector/outputs/alerts INTO $upstream", "priority": 0, "timeToLiveSecs": 86400 },
              "telemetry": { "route": "FROM /messages/modules/SensorIngest/outputs/telemetry INTO $upstream", "priority": 9, "timeToLiveSecs": 600 },
              "defaults": { "route": "FROM /messages/* INTO $upstream" },
              "legacy": "FROM /twinChangeNotifications INTO $upstream"
            }
            """);

        RouteTable table = RouteTable.FromManifest(routes, out IReadOnlyList<RouteError> errors);

        Assert.Empty(errors);
        Assert.Equal((0, 86400), (table.Routes[0].Priority, table.Routes[0].TimeToLiveSecs));
        Assert.Equal((9, 600), (table.Routes[1].Priority, table.Routes[1].TimeToLiveSecs));
        Assert.Equal((0, 0), (table.Routes[2].Priority, table.Routes[2].TimeToLiveSecs));
        Assert.Equal(RouteSourceKind.TwinChangeNotifications, table.Routes[3].Source.Kind);
    }

    [Fact]
    public void FromManifest_BadRoutes_ReportsOneErrorPerRouteAndKeepsTheGoodOnes()
    {
        JsonElement routes = Json("""
            {
              "good": "FROM /messages/* INTO $upstream",
              "syntax": "FROM /messages/* WHERE sensor = INTO $upstream",
              "priority": { "route": "FROM /* INTO $upstream", "priority": 10 },
              "ttl": { "route": "FROM /* INTO $upstream", "timeToLiveSecs": -5 },
              "noRoute": { "priority": 1 },
              "number": 42,
              "multiLine": { "route": "FROM /messages/*\nWHERE $body.x >\nINTO $upstream" }
            }
            """);

        RouteTable table = RouteTable.FromManifest(routes, out IReadOnlyList<RouteError> errors);

        Assert.Equal(["good"], table.Routes.Select(r => r.Name));
        Assert.Equal(["syntax", "priority", "ttl", "noRoute", "number", "multiLine"], errors.Select(e => e.RouteName));
        Assert.Equal((1, 33), (errors[0].Line, errors[0].Column));
        Assert.StartsWith("expected an expression", errors[0].Message, StringComparison.Ordinal);
        Assert.Contains("priority", errors[1].Message, StringComparison.Ordinal);
        Assert.Equal((0, 0), (errors[1].Line, errors[1].Column));
        Assert.Contains("timeToLiveSecs", errors[2].Message, StringComparison.Ordinal);
        Assert.Contains("missing \"route\"", errors[3].Message, StringComparison.Ordinal);
        Assert.Contains("must be a string", errors[4].Message, StringComparison.Ordinal);
        Assert.Equal((3, 1), (errors[5].Line, errors[5].Column));
    }

    [Fact]
    public void FromManifest_DuplicateRouteName_IsReported()
    {
        JsonElement routes = Json("""{ "r": "FROM /* INTO $upstream", "r": "FROM /messages/* INTO $upstream" }""");

        RouteTable table = RouteTable.FromManifest(routes, out IReadOnlyList<RouteError> errors);

        Assert.Single(table.Routes);
        Assert.Equal("duplicate route name", Assert.Single(errors).Message);
    }

    [Fact]
    public void FromManifest_NotAnObject_ReportsError()
    {
        RouteTable table = RouteTable.FromManifest(Json("[]"), out IReadOnlyList<RouteError> errors);

        Assert.Empty(table.Routes);
        Assert.Single(errors);
    }

    [Fact]
    public void Match_AppendsMatchingRoutesInTableOrder()
    {
        var table = new RouteTable(
        [
            RouteParser.Parse("all", "FROM /messages/* INTO $upstream"),
            RouteParser.Parse("hot", "FROM /messages/modules/tempSensor/* WHERE $body.temperature > 50 AND sensor = 'a' INTO BrokeredEndpoint(\"/modules/alerts/inputs/hot\")"),
            RouteParser.Parse("cold", "FROM /messages/* WHERE $body.temperature < 0 INTO $upstream"),
            RouteParser.Parse("other", "FROM /messages/modules/filter/* INTO $upstream"),
            RouteParser.Parse("twin", "FROM /twinChangeNotifications INTO $upstream"),
        ]);
        var matched = new List<Route>();

        table.Match(TestMessages.Standard, matched);

        Assert.Equal(["all", "hot"], matched.Select(r => r.Name));
    }

    [Fact]
    public void MatchEndpoints_SeveralRoutesIntoOneEndpoint_KeepsTheHighestPriorityRoute()
    {
        var table = new RouteTable(
        [
            RouteParser.Parse("low", "FROM /messages/* INTO $upstream", 5, 60),
            RouteParser.Parse("toModule", "FROM /messages/* INTO BrokeredEndpoint(\"/modules/m/inputs/i\")", 2, 0),
            RouteParser.Parse("high", "FROM /messages/modules/* WHERE sensor = 'a' INTO $upstream", 1, 600),
            RouteParser.Parse("sameHigh", "FROM /* INTO $upstream", 1, 5),
            RouteParser.Parse("notMatching", "FROM /messages/* WHERE sensor = 'b' INTO $upstream", 0, 5),
        ]);
        var targets = new List<Route>();

        table.MatchEndpoints(TestMessages.Standard, targets);

        Assert.Equal(["high", "toModule"], targets.Select(r => r.Name));
    }

    [Fact]
    public void MatchEndpoints_AppendsAfterExistingEntries()
    {
        var table = new RouteTable([RouteParser.Parse("a", "FROM /* INTO $upstream"), RouteParser.Parse("b", "FROM /* INTO $upstream")]);
        Route existing = RouteParser.Parse("existing", "FROM /* INTO $upstream");
        var targets = new List<Route> { existing };

        table.MatchEndpoints(TestMessages.Standard, targets);

        Assert.Equal(["existing", "a"], targets.Select(r => r.Name));
    }

    [Fact]
    public void Match_SteadyState_DoesNotAllocate()
    {
        var table = new RouteTable(
        [
            RouteParser.Parse("hot", "FROM /messages/* WHERE $body.temperature > 50 AND sensor = 'a' INTO $upstream"),
            RouteParser.Parse("nested", "FROM /messages/modules/* WHERE $body.arr[2].z = 3 OR NOT IS_DEFINED($connectionModuleId) INTO $upstream"),
            RouteParser.Parse("missing", "FROM /* WHERE $body.nope > 1 INTO $upstream"),
        ]);
        var matched = new List<Route>(8);
        HubMessage message = TestMessages.Standard;
        for (int i = 0; i < 100; i++)
        {
            matched.Clear();
            table.MatchEndpoints(message, matched);
            matched.Clear();
            table.Match(message, matched);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            matched.Clear();
            table.MatchEndpoints(message, matched);
            matched.Clear();
            table.Match(message, matched);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(2, matched.Count);
        Assert.Equal(0, allocated);
    }
}
