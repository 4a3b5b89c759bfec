using System.Text.Json.Nodes;
using EdgeCtl.Manifest;

namespace EdgeCtl.Tests.Manifest;

[Trait("Category", "Unit")]
public class ManifestLoaderTests
{
    private const string ImagePath = "$.modulesContent.$edgeAgent['properties.desired'].modules.SampleModule.settings.image";

    public static TheoryData<string, string?, string?, string> ImagePlaceholders => new()
    {
        // image in the template, --platform, CONTAINER_TAG, expected image (iotedgedev's _update_module_maps)
        { "${MODULES.SampleModule}", null, null, "localhost:5000/samplemodule:0.0.1-amd64" },
        { "${MODULES.SampleModule.debug}", null, null, "localhost:5000/samplemodule:0.0.1-amd64.debug" },
        { "${MODULES.SampleModule.amd64}", null, null, "localhost:5000/samplemodule:0.0.1-amd64" },
        { "${MODULES.SampleModule.arm32v7}", null, null, "localhost:5000/samplemodule:0.0.1-arm32v7" },
        { "${MODULES.SampleModule.arm64v8.debug}", null, null, "localhost:5000/samplemodule:0.0.1-arm64v8.debug" },
        { "${MODULES.SampleModule}", "arm64v8", null, "localhost:5000/samplemodule:0.0.1-arm64v8" },
        { "${MODULES.SampleModule.debug}", "arm32v7", null, "localhost:5000/samplemodule:0.0.1-arm32v7.debug" },
        { "${MODULES.SampleModule}", null, "ci42", "localhost:5000/samplemodule:0.0.1-ci42-amd64" },
        { "${MODULEDIR<modules/SampleModule>}", null, null, "localhost:5000/samplemodule:0.0.1-amd64" },
        { "${MODULEDIR<modules/SampleModule>.arm32v7}", null, null, "localhost:5000/samplemodule:0.0.1-arm32v7" },
        { "myregistry.azurecr.io/literal:1.0", null, null, "myregistry.azurecr.io/literal:1.0" },
    };

    [Theory]
    [MemberData(nameof(ImagePlaceholders))]
    public void Load_ImagePlaceholder_ResolvesAsIotEdgeDev(string image, string? platform, string? containerTag, string expected)
    {
        using var workspace = new TemplateWorkspace();
        workspace.AddModule("SampleModule");
        workspace.WriteEnv(SampleTemplates.IotEdgeDevDotEnv);
        if (containerTag is not null)
        {
            workspace.Environment["CONTAINER_TAG"] = containerTag;
        }

        string path = workspace.WriteManifest(SampleTemplates.IotEdgeDev(image));

        DeploymentManifest manifest = ManifestLoader.Load(path, workspace.Options(platform), out IReadOnlyList<ManifestProblem> problems);

        Assert.Empty(problems);
        ModuleSpec module = Assert.Single(manifest.Modules, m => m.Name == "SampleModule");
        Assert.Equal(expected, module.Image);
        Assert.Equal(expected, (string?)SampleTemplates.Module(manifest.Resolved, "SampleModule")["settings"]!["image"]);
    }

    [Fact]
    public void Load_IotEdgeDevSolution_ResolvesEnvRegistryCredentialsAndModules()
    {
        using var workspace = new TemplateWorkspace();
        workspace.AddModule("SampleModule");
        workspace.WriteEnv(SampleTemplates.IotEdgeDevDotEnv);
        string path = workspace.WriteManifest(SampleTemplates.IotEdgeDev());

        DeploymentManifest manifest = ManifestLoader.Load(path, workspace.Options(), out IReadOnlyList<ManifestProblem> problems);

        Assert.Empty(problems);
        JsonObject agent = SampleTemplates.AgentDesired(manifest.Resolved);
        JsonNode credentials = agent["runtime"]!["settings"]!["registryCredentials"]!["myregistry"]!;
        Assert.Equal("user", (string?)credentials["username"]);
        Assert.Equal("p@ss#word", (string?)credentials["password"]);
        Assert.Equal("localhost:5000", (string?)credentials["address"]);
        Assert.Equal("1.1", (string?)agent["schemaVersion"]);
        Assert.Equal("mcr.microsoft.com/azureiotedge-hub:1.5", (string?)agent["systemModules"]!["edgeHub"]!["settings"]!["image"]);
        Assert.Equal("1.2", (string?)manifest.EdgeHubDesired["schemaVersion"]);
        Assert.Equal(["SampleModule", "SimulatedTemperatureSensor"], manifest.Modules.Select(m => m.Name));
        Assert.Equal("SampleModule", manifest.Modules[0].ModuleFolder);
        Assert.Null(manifest.Modules[1].ModuleFolder);
        Assert.Equal(5, (int)manifest.Modules[1].Desired!["SendInterval"]!);
        Assert.Equal("SampleModule", manifest.ModuleDefinitions["SampleModule"].Folder);
    }

    [Fact]
    public void Load_ProcessEnvironment_WinsOverDotEnv()
    {
        using var workspace = new TemplateWorkspace();
        workspace.AddModule("SampleModule");
        workspace.WriteEnv(SampleTemplates.IotEdgeDevDotEnv);
        workspace.Environment["CONTAINER_REGISTRY_SERVER"] = "contoso.azurecr.io";
        string path = workspace.WriteManifest(SampleTemplates.IotEdgeDev());

        DeploymentManifest manifest = ManifestLoader.Load(path, workspace.Options(), out _);

        Assert.Equal("contoso.azurecr.io/samplemodule:0.0.1-amd64", manifest.Modules[0].Image);
        Assert.Equal("contoso.azurecr.io", (string?)SampleTemplates.AgentDesired(manifest.Resolved)["runtime"]!["settings"]!["registryCredentials"]!["myregistry"]!["address"]);
    }

    [Fact]
    public void Load_DotEnvFileFromDotenvFileVariable_IsUsed()
    {
        using var workspace = new TemplateWorkspace();
        workspace.AddModule("SampleModule");
        workspace.WriteEnv(SampleTemplates.IotEdgeDevDotEnv.Replace("localhost:5000", "other:5000", StringComparison.Ordinal), "staging.env");
        workspace.Environment["DOTENV_FILE"] = "\"staging.env\"";
        string path = workspace.WriteManifest(SampleTemplates.IotEdgeDev());

        DeploymentManifest manifest = ManifestLoader.Load(path, workspace.Options(), out IReadOnlyList<ManifestProblem> problems);

        Assert.Empty(problems);
        Assert.Equal("other:5000/samplemodule:0.0.1-amd64", manifest.Modules[0].Image);
    }

    [Fact]
    public void Load_MissingVariable_ReportsProblemWithPathAndName()
    {
        using var workspace = new TemplateWorkspace();
        workspace.AddModule("SampleModule", repository: "localhost:5000/samplemodule");
        string path = workspace.WriteManifest(SampleTemplates.IotEdgeDev());

        DeploymentManifest manifest = ManifestLoader.Load(path, workspace.Options(), out IReadOnlyList<ManifestProblem> problems);

        ManifestProblem problem = Assert.Single(problems, p => p.Message.Contains("CONTAINER_REGISTRY_USERNAME", StringComparison.Ordinal));
        Assert.Equal(path, problem.File);
        Assert.Equal("$.modulesContent.$edgeAgent['properties.desired'].runtime.settings.registryCredentials.myregistry.username", problem.JsonPath);
        Assert.Contains("variable CONTAINER_REGISTRY_USERNAME is not set", problem.Message, StringComparison.Ordinal);
        Assert.Equal("${CONTAINER_REGISTRY_USERNAME}", (string?)SampleTemplates.AgentDesired(manifest.Resolved)["runtime"]!["settings"]!["registryCredentials"]!["myregistry"]!["username"]);
        Assert.Equal("localhost:5000/samplemodule:0.0.1-amd64", manifest.Modules[0].Image);
    }

    [Fact]
    public void Load_VariableMissingInModuleJson_ReportsOnTheImage()
    {
        using var workspace = new TemplateWorkspace();
        workspace.AddModule("SampleModule");
        workspace.Environment["EDGEAGENT_SCHEMA_VERSION"] = "1.1";
        string path = workspace.WriteManifest(SampleTemplates.IotEdgeDev());

        ManifestLoader.Load(path, workspace.Options(), out IReadOnlyList<ManifestProblem> problems);

        ManifestProblem problem = Assert.Single(problems, p => p.JsonPath == ImagePath);
        Assert.Contains("variable CONTAINER_REGISTRY_SERVER used by", problem.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false, "module folder")]
    [InlineData(true, "module.json is missing")]
    public void Load_ModuleFolderOrModuleJsonMissing_ReportsProblem(bool createFolder, string expected)
    {
        using var workspace = new TemplateWorkspace();
        workspace.WriteEnv(SampleTemplates.IotEdgeDevDotEnv);
        if (createFolder)
        {
            Directory.CreateDirectory(Path.Combine(workspace.ModulesRoot, "SampleModule"));
        }

        string path = workspace.WriteManifest(SampleTemplates.IotEdgeDev());

        DeploymentManifest manifest = ManifestLoader.Load(path, workspace.Options(), out IReadOnlyList<ManifestProblem> problems);

        ManifestProblem problem = Assert.Single(problems);
        Assert.Equal(ImagePath, problem.JsonPath);
        Assert.Contains(expected, problem.Message, StringComparison.Ordinal);
        Assert.Equal("SampleModule", manifest.Modules[0].ModuleFolder);
    }

    [Fact]
    public void Load_PlatformNotInModuleJson_ReportsProblem()
    {
        using var workspace = new TemplateWorkspace();
        workspace.AddModule("SampleModule", platforms: ["amd64"]);
        workspace.WriteEnv(SampleTemplates.IotEdgeDevDotEnv);
        string path = workspace.WriteManifest(SampleTemplates.IotEdgeDev("${MODULES.SampleModule.debug}"));

        ManifestLoader.Load(path, workspace.Options(), out IReadOnlyList<ManifestProblem> problems);

        ManifestProblem problem = Assert.Single(problems);
        Assert.Contains("platform amd64.debug is not declared", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_ImagePlaceholderOutsideImage_IsReportedUnresolved()
    {
        using var workspace = new TemplateWorkspace();
        workspace.AddModule("SampleModule");
        workspace.WriteEnv(SampleTemplates.IotEdgeDevDotEnv);
        JsonObject template = JsonNode.Parse(SampleTemplates.IotEdgeDev())!.AsObject();
        SampleTemplates.Module(template, "SampleModule")["env"] = new JsonObject { ["PEER"] = new JsonObject { ["value"] = "${MODULES.SampleModule}" } };
        string path = workspace.WriteManifest(template);

        ManifestLoader.Load(path, workspace.Options(), out IReadOnlyList<ManifestProblem> problems);

        ManifestProblem problem = Assert.Single(problems);
        Assert.Equal("$.modulesContent.$edgeAgent['properties.desired'].modules.SampleModule.env.PEER.value", problem.JsonPath);
        Assert.Contains("${MODULES.SampleModule}", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_ModuleSpec_AppliesEdgeAgentDefaultsAndFlattensEnv()
    {
        using var workspace = new TemplateWorkspace();
        JsonObject template = SampleTemplates.Minimal();
        JsonObject producer = SampleTemplates.Module(template, "producer");
        producer.Remove("status");
        producer.Remove("restartPolicy");
        producer["env"] = new JsonObject { ["MODE"] = new JsonObject { ["value"] = "fast" }, ["COUNT"] = new JsonObject { ["value"] = 3 } };
        producer["settings"]!["createOptions"] = new JsonObject { ["HostConfig"] = new JsonObject { ["Privileged"] = true } };
        SampleTemplates.Module(template, "consumer")["startupOrder"] = 4294967295;
        template["modulesContent"]!["producer"] = new JsonObject { ["properties.desired"] = new JsonObject { ["rate"] = 10 } };
        string path = workspace.WriteManifest(template);

        DeploymentManifest manifest = ManifestLoader.Load(path, workspace.Options(), out IReadOnlyList<ManifestProblem> problems);

        Assert.Empty(problems);
        ModuleSpec p = manifest.Modules.Single(m => m.Name == "producer");
        Assert.Equal("running", p.Status);
        Assert.Equal(RestartPolicy.Always, p.RestartPolicy);
        Assert.Equal(int.MaxValue, p.StartupOrder);
        Assert.Equal("fast", p.Environment["MODE"]);
        Assert.Equal("3", p.Environment["COUNT"]);
        Assert.Equal("{\"HostConfig\":{\"Privileged\":true}}", p.CreateOptions);
        Assert.Equal(10, (int)p.Desired!["rate"]!);
        Assert.Null(p.ModuleFolder);
        ModuleSpec c = manifest.Modules.Single(m => m.Name == "consumer");
        Assert.Equal(RestartPolicy.OnFailure, c.RestartPolicy);
        Assert.Equal(int.MaxValue, c.StartupOrder);
        Assert.Null(c.Desired);
    }

    [Theory]
    [InlineData("never", RestartPolicy.Never)]
    [InlineData("on-failure", RestartPolicy.OnFailure)]
    [InlineData("on-unhealthy", RestartPolicy.OnUnhealthy)]
    [InlineData("always", RestartPolicy.Always)]
    public void TryParseRestartPolicy_EdgeAgentNames_Parse(string text, RestartPolicy expected)
    {
        Assert.True(ManifestLoader.TryParseRestartPolicy(text, out RestartPolicy policy));
        Assert.Equal(expected, policy);
    }

    [Fact]
    public void Load_CreateOptionsChunks_AreConcatenated()
    {
        using var workspace = new TemplateWorkspace();
        JsonObject template = SampleTemplates.Minimal();
        JsonObject settings = SampleTemplates.Module(template, "producer")["settings"]!.AsObject();
        settings["createOptions"] = "{\"Env\":";
        settings["createOptions01"] = "[\"A=1\"]}";
        string path = workspace.WriteManifest(template);

        DeploymentManifest manifest = ManifestLoader.Load(path, workspace.Options(), out _);

        Assert.Equal("{\"Env\":[\"A=1\"]}", manifest.Modules.Single(m => m.Name == "producer").CreateOptions);
    }

    [Fact]
    public void Load_InvalidJson_ReportsLineInsteadOfThrowing()
    {
        using var workspace = new TemplateWorkspace();
        string path = workspace.WriteManifest("{\n  \"modulesContent\": {,\n}");

        DeploymentManifest manifest = ManifestLoader.Load(path, workspace.Options(), out IReadOnlyList<ManifestProblem> problems);

        ManifestProblem problem = Assert.Single(problems);
        Assert.Contains("invalid JSON (line 2", problem.Message, StringComparison.Ordinal);
        Assert.Empty(manifest.Modules);
    }

    [Fact]
    public void Load_ExplicitEnvFileMissing_ReportsProblem()
    {
        using var workspace = new TemplateWorkspace();
        string path = workspace.WriteManifest(SampleTemplates.Minimal());

        ManifestLoader.Load(path, workspace.Options(envFile: Path.Combine(workspace.Root, "nope.env")), out IReadOnlyList<ManifestProblem> problems);

        Assert.Contains(problems, p => p.Message.Contains("nope.env does not exist", StringComparison.Ordinal));
    }

    [Fact]
    public void Load_MissingFile_ReportsProblem()
    {
        ManifestLoader.Load("/nonexistent/deployment.template.json", ManifestLoadOptions.Default, out IReadOnlyList<ManifestProblem> problems);

        Assert.Contains("cannot read the manifest", Assert.Single(problems).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_VariableInPropertyName_IsExpandedInPlace()
    {
        using var workspace = new TemplateWorkspace();
        workspace.Environment["REGISTRY_NAME"] = "contoso";
        JsonObject template = SampleTemplates.Minimal();
        SampleTemplates.AgentDesired(template)["runtime"]!["settings"]!["registryCredentials"] = new JsonObject
        {
            ["${REGISTRY_NAME}"] = new JsonObject { ["username"] = "u", ["password"] = "p", ["address"] = "contoso.azurecr.io" },
        };
        string path = workspace.WriteManifest(template);

        DeploymentManifest manifest = ManifestLoader.Load(path, workspace.Options(), out IReadOnlyList<ManifestProblem> problems);

        Assert.Empty(problems);
        JsonObject credentials = SampleTemplates.AgentDesired(manifest.Resolved)["runtime"]!["settings"]!["registryCredentials"]!.AsObject();
        Assert.Equal("u", (string?)credentials["contoso"]!["username"]);
        Assert.False(credentials.ContainsKey("${REGISTRY_NAME}"));
    }

    [Fact]
    public void Load_LegacyModuleContentKey_IsReadLikeModulesContent()
    {
        using var workspace = new TemplateWorkspace();
        JsonObject template = SampleTemplates.Minimal();
        JsonNode content = template["modulesContent"]!;
        template.Remove("modulesContent");
        template["moduleContent"] = content;
        string path = workspace.WriteManifest(template);

        DeploymentManifest manifest = ManifestLoader.Load(path, workspace.Options(), out IReadOnlyList<ManifestProblem> problems);

        Assert.Empty(problems);
        Assert.Equal(2, manifest.Modules.Count);
        Assert.Equal("1.2", (string?)manifest.EdgeHubDesired["schemaVersion"]);
    }
}
