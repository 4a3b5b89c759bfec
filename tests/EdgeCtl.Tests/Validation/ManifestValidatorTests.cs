using System.Text.Json.Nodes;
using EdgeCtl.Manifest;
using EdgeCtl.Tests.Manifest;
using EdgeCtl.Validation;

namespace EdgeCtl.Tests.Validation;

[Trait("Category", "Unit")]
public class ManifestValidatorTests
{
    private const string Agent = "$.modulesContent.$edgeAgent['properties.desired']";
    private const string Hub = "$.modulesContent.$edgeHub['properties.desired']";

    [Fact]
    public void Validate_MinimalTemplate_IsClean()
    {
        Assert.Empty(Validate(SampleTemplates.Minimal()));
    }

    [Fact]
    public void Validate_IotEdgeDevSolution_IsClean()
    {
        using var workspace = new TemplateWorkspace();
        workspace.AddModule("SampleModule");
        workspace.WriteEnv(SampleTemplates.IotEdgeDevDotEnv);
        string path = workspace.WriteManifest(SampleTemplates.IotEdgeDev());

        Assert.Empty(ManifestValidator.Validate(path, workspace.Options()));
    }

    // --- JSON schema ---------------------------------------------------------------------------------------------

    [Fact]
    public void Validate_TemplateSchemaVersionNot40_FailsSchema()
    {
        JsonObject template = SampleTemplates.Minimal();
        template["$schema-template"] = "2.0.0";

        ManifestProblem problem = Assert.Single(Validate(template));

        Assert.Equal("$['$schema-template']", problem.JsonPath);
        Assert.Contains("4.0.0", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_ModuleWithoutImage_FailsSchemaAtSettings()
    {
        JsonObject template = SampleTemplates.Minimal();
        SampleTemplates.Module(template, "producer")["settings"]!.AsObject().Remove("image");

        ManifestProblem problem = Assert.Single(Validate(template));

        Assert.Equal($"{Agent}.modules.producer.settings", problem.JsonPath);
        Assert.Contains("image", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_EdgeHubWithoutStoreAndForward_FailsSchema()
    {
        JsonObject template = SampleTemplates.Minimal();
        SampleTemplates.HubDesired(template).Remove("storeAndForwardConfiguration");

        ManifestProblem problem = Assert.Single(Validate(template));

        Assert.Equal(Hub, problem.JsonPath);
        Assert.Contains("storeAndForwardConfiguration", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_MissingEdgeHubTwin_FailsSchema()
    {
        JsonObject template = SampleTemplates.Minimal();
        template["modulesContent"]!.AsObject().Remove("$edgeHub");

        ManifestProblem problem = Assert.Single(Validate(template));

        Assert.Equal("$.modulesContent", problem.JsonPath);
        Assert.Contains("$edgeHub", problem.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1.0")]
    [InlineData("1.1")]
    public void Validate_EdgeAgentSchemaVersion_Supported(string version)
    {
        JsonObject template = SampleTemplates.Minimal();
        SampleTemplates.AgentDesired(template)["schemaVersion"] = version;
        SampleTemplates.Module(template, "consumer").Remove("startupOrder");

        Assert.Empty(Validate(template));
    }

    [Fact]
    public void Validate_EdgeAgentSchemaVersionUnknown_Fails()
    {
        JsonObject template = SampleTemplates.Minimal();
        SampleTemplates.AgentDesired(template)["schemaVersion"] = "2.0";

        ManifestProblem problem = Assert.Single(Validate(template));

        Assert.Equal($"{Agent}.schemaVersion", problem.JsonPath);
        Assert.Contains("'2.0' is not supported", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_StartupOrderUnderAgentSchema10_Fails()
    {
        JsonObject template = SampleTemplates.Minimal();
        SampleTemplates.AgentDesired(template)["schemaVersion"] = "1.0";

        ManifestProblem problem = Assert.Single(Validate(template));

        Assert.Equal($"{Agent}.modules.consumer.startupOrder", problem.JsonPath);
    }

    [Theory]
    [InlineData("1.1")]
    [InlineData("1.2")]
    public void Validate_EdgeHubSchemaVersion_Supported(string version)
    {
        JsonObject template = SampleTemplates.Minimal();
        SampleTemplates.HubDesired(template)["schemaVersion"] = version;

        Assert.Empty(Validate(template));
    }

    [Fact]
    public void Validate_EdgeHubSchema10WithStringRoutes_IsClean()
    {
        JsonObject template = SampleTemplates.Minimal();
        SampleTemplates.HubDesired(template)["schemaVersion"] = "1.0";
        SampleTemplates.Routes(template)["upstream"] = "FROM /messages/modules/consumer/outputs/* INTO $upstream";

        Assert.Empty(Validate(template));
    }

    [Fact]
    public void Validate_EdgeHubSchema10WithRouteObject_Fails()
    {
        JsonObject template = SampleTemplates.Minimal();
        SampleTemplates.HubDesired(template)["schemaVersion"] = "1.0";

        ManifestProblem problem = Assert.Single(Validate(template));

        Assert.Equal($"{Hub}.routes.upstream", problem.JsonPath);
        Assert.Contains("needs 1.1", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_EdgeHubSchemaVersionUnknown_Fails()
    {
        JsonObject template = SampleTemplates.Minimal();
        SampleTemplates.HubDesired(template)["schemaVersion"] = "1.3";

        ManifestProblem problem = Assert.Single(Validate(template));

        Assert.Equal($"{Hub}.schemaVersion", problem.JsonPath);
    }

    // --- placeholders --------------------------------------------------------------------------------------------

    [Fact]
    public void Validate_UnsetVariable_ReportsUnresolvedPlaceholderOnce()
    {
        using var workspace = new TemplateWorkspace();
        JsonObject template = SampleTemplates.Minimal();
        SampleTemplates.Module(template, "producer")["env"] = new JsonObject { ["LEVEL"] = new JsonObject { ["value"] = "${LOG_LEVEL}" } };
        string path = workspace.WriteManifest(template);

        ManifestProblem problem = Assert.Single(ManifestValidator.Validate(path, workspace.Options()));
        Assert.Equal($"{Agent}.modules.producer.env.LEVEL.value", problem.JsonPath);
        Assert.Contains("LOG_LEVEL", problem.Message, StringComparison.Ordinal);

        workspace.Environment["LOG_LEVEL"] = "debug";
        Assert.Empty(ManifestValidator.Validate(path, workspace.Options()));
    }

    [Fact]
    public void Validate_UnsetSchemaVersionVariable_ReportsOnlyThePlaceholder()
    {
        using var workspace = new TemplateWorkspace();
        JsonObject template = SampleTemplates.Minimal();
        SampleTemplates.AgentDesired(template)["schemaVersion"] = "${EDGEAGENT_SCHEMA_VERSION}";
        string path = workspace.WriteManifest(template);

        ManifestProblem problem = Assert.Single(ManifestValidator.Validate(path, workspace.Options()));

        Assert.Contains("EDGEAGENT_SCHEMA_VERSION", problem.Message, StringComparison.Ordinal);
    }

    // --- module folders ------------------------------------------------------------------------------------------

    [Fact]
    public void Validate_ImagePlaceholderWithoutModuleFolder_Fails()
    {
        using var workspace = new TemplateWorkspace();
        JsonObject template = SampleTemplates.Minimal();
        SampleTemplates.Module(template, "producer")["settings"]!["image"] = "${MODULES.Producer}";
        string path = workspace.WriteManifest(template);

        ManifestProblem problem = Assert.Single(ManifestValidator.Validate(path, workspace.Options()));
        Assert.Equal($"{Agent}.modules.producer.settings.image", problem.JsonPath);
        Assert.Contains("module folder", problem.Message, StringComparison.Ordinal);

        workspace.AddModule("Producer", repository: "localhost:5000/producer");
        Assert.Empty(ManifestValidator.Validate(path, workspace.Options()));
    }

    [Fact]
    public void Validate_ImagePlaceholderWithoutModuleJson_Fails()
    {
        using var workspace = new TemplateWorkspace();
        Directory.CreateDirectory(Path.Combine(workspace.ModulesRoot, "Producer"));
        JsonObject template = SampleTemplates.Minimal();
        SampleTemplates.Module(template, "producer")["settings"]!["image"] = "${MODULES.Producer}";
        string path = workspace.WriteManifest(template);

        ManifestProblem problem = Assert.Single(ManifestValidator.Validate(path, workspace.Options()));

        Assert.Contains("module.json is missing", problem.Message, StringComparison.Ordinal);
    }

    // --- status and restart policy -------------------------------------------------------------------------------

    [Theory]
    [InlineData("never")]
    [InlineData("on-failure")]
    [InlineData("on-unhealthy")]
    [InlineData("always")]
    public void Validate_KnownRestartPolicy_IsClean(string policy)
    {
        JsonObject template = SampleTemplates.Minimal();
        SampleTemplates.Module(template, "producer")["restartPolicy"] = policy;

        Assert.Empty(Validate(template));
    }

    [Theory]
    [InlineData("sometimes")]
    [InlineData("Always")]
    [InlineData("on_failure")]
    public void Validate_UnknownRestartPolicy_FailsOnce(string policy)
    {
        JsonObject template = SampleTemplates.Minimal();
        SampleTemplates.Module(template, "producer")["restartPolicy"] = policy;

        ManifestProblem problem = Assert.Single(Validate(template));

        Assert.Equal($"{Agent}.modules.producer.restartPolicy", problem.JsonPath);
        Assert.Contains("is not one of never, on-failure, on-unhealthy, always", problem.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("running", true)]
    [InlineData("stopped", true)]
    [InlineData("paused", false)]
    [InlineData("Running", false)]
    public void Validate_Status_MustBeRunningOrStopped(string status, bool clean)
    {
        JsonObject template = SampleTemplates.Minimal();
        SampleTemplates.Module(template, "producer")["status"] = status;

        IReadOnlyList<ManifestProblem> problems = Validate(template);

        if (clean)
        {
            Assert.Empty(problems);
        }
        else
        {
            Assert.Equal($"{Agent}.modules.producer.status", Assert.Single(problems).JsonPath);
        }
    }

    // --- routes --------------------------------------------------------------------------------------------------

    [Fact]
    public void Validate_RouteSyntaxError_ReportsLineAndColumn()
    {
        JsonObject template = SampleTemplates.Minimal();
        SampleTemplates.Routes(template)["broken"] = "FROM /messages/* WHERE temp > INTO $upstream";

        ManifestProblem problem = Assert.Single(Validate(template));

        Assert.Equal($"{Hub}.routes.broken", problem.JsonPath);
        Assert.Matches(@"^route syntax error at line 1, column \d+: ", problem.Message);
    }

    [Fact]
    public void Validate_RouteObjectSyntaxError_PointsAtRouteProperty()
    {
        JsonObject template = SampleTemplates.Minimal();
        SampleTemplates.Routes(template)["broken"] = new JsonObject { ["route"] = "FROM /messages/* INTO" };

        Assert.Equal($"{Hub}.routes.broken.route", Assert.Single(Validate(template)).JsonPath);
    }

    [Fact]
    public void Validate_RouteFromUnknownModule_Fails()
    {
        JsonObject template = SampleTemplates.Minimal();
        SampleTemplates.Routes(template)["ghost"] = "FROM /messages/modules/ghost/outputs/* INTO $upstream";

        ManifestProblem problem = Assert.Single(Validate(template));

        Assert.Equal($"{Hub}.routes.ghost", problem.JsonPath);
        Assert.Contains("source module 'ghost'", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_RouteIntoUnknownModule_Fails()
    {
        JsonObject template = SampleTemplates.Minimal();
        SampleTemplates.Routes(template)["ghost"] = "FROM /messages/* INTO BrokeredEndpoint(\"/modules/ghost/inputs/in\")";

        Assert.Contains("sink module 'ghost'", Assert.Single(Validate(template)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_RouteSourcesWithoutModule_AreClean()
    {
        JsonObject template = SampleTemplates.Minimal();
        SampleTemplates.Routes(template)["all"] = "FROM /messages/* INTO $upstream";
        SampleTemplates.Routes(template)["twins"] = "FROM /twinChangeNotifications INTO $upstream";
        SampleTemplates.Routes(template)["anyModule"] = "FROM /messages/modules/* INTO BrokeredEndpoint(\"/modules/consumer/inputs/all\")";

        Assert.Empty(Validate(template));
    }

    [Fact]
    public void Validate_RouteOutputOrInputNotDeclaredInModuleJson_Fails()
    {
        using var workspace = new TemplateWorkspace();
        workspace.AddModule("Producer", repository: "localhost:5000/producer", outputs: ["data"]);
        workspace.AddModule("Consumer", repository: "localhost:5000/consumer", inputs: ["data"]);
        JsonObject template = SampleTemplates.Minimal();
        SampleTemplates.Module(template, "producer")["settings"]!["image"] = "${MODULES.Producer}";
        SampleTemplates.Module(template, "consumer")["settings"]!["image"] = "${MODULES.Consumer}";
        string path = workspace.WriteManifest(template);
        Assert.Empty(ManifestValidator.Validate(path, workspace.Options()));

        SampleTemplates.Routes(template)["wrongOutput"] = "FROM /messages/modules/producer/outputs/metrics INTO $upstream";
        SampleTemplates.Routes(template)["wrongInput"] = "FROM /messages/modules/producer/outputs/data INTO BrokeredEndpoint(\"/modules/consumer/inputs/control\")";
        path = workspace.WriteManifest(template);
        IReadOnlyList<ManifestProblem> problems = ManifestValidator.Validate(path, workspace.Options());

        Assert.Equal(2, problems.Count);
        Assert.Contains("has no output 'metrics'", problems[0].Message, StringComparison.Ordinal);
        Assert.Contains("edge.outputs: data", problems[0].Message, StringComparison.Ordinal);
        Assert.Contains("has no input 'control'", problems[1].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_ModuleJsonWithoutEdgeDeclaration_AcceptsAnyEndpoint()
    {
        using var workspace = new TemplateWorkspace();
        workspace.AddModule("Producer", repository: "localhost:5000/producer");
        JsonObject template = SampleTemplates.Minimal();
        SampleTemplates.Module(template, "producer")["settings"]!["image"] = "${MODULES.Producer}";
        SampleTemplates.Routes(template)["anyOutput"] = "FROM /messages/modules/producer/outputs/whatever INTO $upstream";
        string path = workspace.WriteManifest(template);

        Assert.Empty(ManifestValidator.Validate(path, workspace.Options()));
    }

    [Fact]
    public void Validate_DuplicateRouteName_Fails()
    {
        using var workspace = new TemplateWorkspace();
        string text = SampleTemplates.Minimal().ToJsonString().Replace(
            "\"upstream\":",
            "\"toConsumer\":\"FROM /messages/* INTO $upstream\",\"upstream\":",
            StringComparison.Ordinal);
        string path = workspace.WriteManifest(text);

        ManifestProblem problem = Assert.Single(ManifestValidator.Validate(path, workspace.Options()));

        Assert.Equal($"{Hub}.routes.toConsumer", problem.JsonPath);
        Assert.Contains("duplicate route name 'toConsumer'", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_DuplicateModuleName_Fails()
    {
        using var workspace = new TemplateWorkspace();
        string text = SampleTemplates.Minimal().ToJsonString().Replace(
            "\"consumer\":{",
            "\"producer\":{\"version\":\"1.0\",\"type\":\"docker\",\"status\":\"running\",\"restartPolicy\":\"always\",\"settings\":{\"image\":\"x/y:1\"}},\"consumer\":{",
            StringComparison.Ordinal);
        string path = workspace.WriteManifest(text);

        ManifestProblem problem = Assert.Single(ManifestValidator.Validate(path, workspace.Options()));

        Assert.Equal($"{Agent}.modules.producer", problem.JsonPath);
        Assert.Contains("duplicate key 'producer'", problem.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, true)]
    [InlineData(9, true)]
    [InlineData(10, false)]
    [InlineData(-1, false)]
    public void Validate_RoutePriority_MustBe0To9(int priority, bool clean)
    {
        JsonObject template = SampleTemplates.Minimal();
        SampleTemplates.Routes(template)["upstream"]!["priority"] = priority;

        IReadOnlyList<ManifestProblem> problems = Validate(template);

        if (clean)
        {
            Assert.Empty(problems);
        }
        else
        {
            ManifestProblem problem = Assert.Single(problems);
            Assert.Equal($"{Hub}.routes.upstream.priority", problem.JsonPath);
            Assert.Contains("from 0 (highest) to 9 (lowest)", problem.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Validate_RoutePriorityNotInteger_Fails()
    {
        JsonObject template = SampleTemplates.Minimal();
        SampleTemplates.Routes(template)["upstream"]!["priority"] = 1.5;

        Assert.Equal($"{Hub}.routes.upstream.priority", Assert.Single(Validate(template)).JsonPath);
    }

    [Theory]
    [InlineData(0, true)]
    [InlineData(86400, true)]
    [InlineData(-2, false)]
    [InlineData(-3600, false)]
    public void Validate_RouteTimeToLive_MustNotBeNegative(int ttl, bool clean)
    {
        JsonObject template = SampleTemplates.Minimal();
        SampleTemplates.Routes(template)["upstream"]!["timeToLiveSecs"] = ttl;

        IReadOnlyList<ManifestProblem> problems = Validate(template);

        if (clean)
        {
            Assert.Empty(problems);
        }
        else
        {
            Assert.Equal($"{Hub}.routes.upstream.timeToLiveSecs", Assert.Single(problems).JsonPath);
        }
    }

    [Fact]
    public void Validate_RouteTimeToLiveMinusOne_FailsAsEdgeHubRejectsIt()
    {
        JsonObject template = SampleTemplates.Minimal();
        SampleTemplates.Routes(template)["upstream"]!["timeToLiveSecs"] = -1;

        ManifestProblem problem = Assert.Single(Validate(template));

        Assert.Equal($"{Hub}.routes.upstream.timeToLiveSecs", problem.JsonPath);
        Assert.Contains("-1 is rejected by edgeHub", problem.Message, StringComparison.Ordinal);
    }

    // --- robustness ----------------------------------------------------------------------------------------------

    [Fact]
    public void Validate_InvalidJson_ReportsOneProblem()
    {
        using var workspace = new TemplateWorkspace();
        string path = workspace.WriteManifest("{ \"modulesContent\": ");

        Assert.Contains("invalid JSON", Assert.Single(ManifestValidator.Validate(path, workspace.Options())).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_TruncatedOrMangledManifest_NeverThrows()
    {
        using var workspace = new TemplateWorkspace();
        string text = SampleTemplates.Minimal().ToJsonString();
        var random = new Random(42);
        for (int length = 0; length < text.Length; length += 13)
        {
            ManifestValidator.Validate(workspace.WriteManifest(text[..length]), workspace.Options());
        }

        for (int i = 0; i < 60; i++)
        {
            char[] chars = text.ToCharArray();
            chars[random.Next(chars.Length)] = "{}[]\",:x0-$"[random.Next(11)];
            ManifestValidator.Validate(workspace.WriteManifest(new string(chars)), workspace.Options());
        }

        JsonObject wrongTypes = SampleTemplates.Minimal();
        SampleTemplates.AgentDesired(wrongTypes)["modules"] = new JsonArray(1, 2);
        SampleTemplates.HubDesired(wrongTypes)["routes"] = "FROM /messages/* INTO $upstream";
        Assert.NotEmpty(ManifestValidator.Validate(workspace.WriteManifest(wrongTypes), workspace.Options()));
    }

    private static IReadOnlyList<ManifestProblem> Validate(JsonObject template)
    {
        using var workspace = new TemplateWorkspace();
        string path = workspace.WriteManifest(template);
        return ManifestValidator.Validate(path, workspace.Options());
    }
}
