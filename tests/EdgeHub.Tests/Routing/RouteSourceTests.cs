using EdgeHub.Messaging;
using EdgeHub.Routing;

namespace EdgeHub.Tests.Routing;

[Trait("Category", "Unit")]
public class RouteSourceTests
{
    private static readonly MessageSource ModuleWithOutput = MessageSource.FromModule("dev1", "tempSensor", "temperatureOutput");
    private static readonly MessageSource ModuleOtherOutput = MessageSource.FromModule("dev1", "tempSensor", "other");
    private static readonly MessageSource ModuleNoOutput = MessageSource.FromModule("dev1", "tempSensor", null);
    private static readonly MessageSource OtherModule = MessageSource.FromModule("dev1", "filter", "temperatureOutput");
    private static readonly MessageSource LeafDevice = new(MessageSourceKind.Telemetry, "leaf1", null, null);
    private static readonly MessageSource TwinChange = MessageSource.TwinChange("dev1", "tempSensor");

    public static TheoryData<string, string, bool> Cases()
    {
        var sources = new Dictionary<string, MessageSource>
        {
            ["moduleWithOutput"] = ModuleWithOutput,
            ["moduleOtherOutput"] = ModuleOtherOutput,
            ["moduleNoOutput"] = ModuleNoOutput,
            ["otherModule"] = OtherModule,
            ["leafDevice"] = LeafDevice,
            ["twinChange"] = TwinChange,
        };

        // Expected matches per route source, in the order of the dictionary above.
        var table = new (string Path, bool[] Expected)[]
        {
            ("/*", [true, true, true, true, true, true]),
            ("/messages/*", [true, true, true, true, true, false]),
            ("/messages", [true, true, true, true, true, false]),
            ("/messages/modules/*", [true, true, true, true, false, false]),
            ("/messages/modules/tempSensor/*", [true, true, true, false, false, false]),
            ("/messages/modules/tempSensor", [true, true, true, false, false, false]),
            ("/messages/modules/TEMPSENSOR/*", [true, true, true, false, false, false]),
            ("/messages/modules/tempSensor/outputs/*", [true, true, false, false, false, false]),
            ("/messages/modules/tempSensor/outputs/temperatureOutput", [true, false, false, false, false, false]),
            ("/messages/modules/tempSensor/outputs/temperatureOutput/*", [true, false, false, false, false, false]),
            ("/twinChangeNotifications", [false, false, false, false, false, true]),
        };

        var data = new TheoryData<string, string, bool>();
        string[] names = sources.Keys.ToArray();
        foreach ((string path, bool[] expected) in table)
        {
            for (int i = 0; i < names.Length; i++)
            {
                data.Add(path, names[i], expected[i]);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_RouteSourceAgainstMessageSource_FollowsEdgeHubPrefixRules(string path, string messageSource, bool expected)
    {
        MessageSource source = messageSource switch
        {
            "moduleWithOutput" => ModuleWithOutput,
            "moduleOtherOutput" => ModuleOtherOutput,
            "moduleNoOutput" => ModuleNoOutput,
            "otherModule" => OtherModule,
            "leafDevice" => LeafDevice,
            _ => TwinChange,
        };

        Route route = RouteParser.Parse("r", $"FROM {path} INTO $upstream");

        Assert.Equal(expected, route.Source.Matches(in source));
    }
}
