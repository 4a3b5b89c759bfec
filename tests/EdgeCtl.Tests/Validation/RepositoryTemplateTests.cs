using EdgeCtl.Manifest;
using EdgeCtl.Tests.Manifest;
using EdgeCtl.Validation;

namespace EdgeCtl.Tests.Validation;

/// <summary>
/// The repository's own deployment.template.json, and the suite's target manifest (TestData/suite.template.json: DESIGN.md's
/// data walk with all four modules). Modules join the repository template as their projects land; the target manifest is
/// validated against a test modules root whose module.json files declare the endpoints of the data walk.
/// </summary>
[Trait("Category", "Unit")]
public class RepositoryTemplateTests
{
    private static readonly Dictionary<string, string> RegistryVariables = new(StringComparer.Ordinal)
    {
        ["CONTAINER_REGISTRY_ADDRESS"] = "myregistry.azurecr.io",
        ["CONTAINER_REGISTRY_USERNAME"] = "user",
        ["CONTAINER_REGISTRY_PASSWORD"] = "secret",
        ["PLANT_MODBUS_ENDPOINT"] = "127.0.0.1:15502",
    };

    [Fact]
    public void Validate_SuiteTemplateWithDeclaredModules_IsClean()
    {
        using var workspace = new TemplateWorkspace();
        AddSuiteModules(workspace);

        IReadOnlyList<ManifestProblem> problems = ManifestValidator.Validate(SuiteTemplate(), Options(workspace.ModulesRoot));

        Assert.Empty(problems);
    }

    [Fact]
    public void Load_SuiteTemplate_GivesTheFourSuiteModules()
    {
        using var workspace = new TemplateWorkspace();
        AddSuiteModules(workspace);

        DeploymentManifest manifest = ManifestLoader.Load(SuiteTemplate(), Options(workspace.ModulesRoot), out IReadOnlyList<ManifestProblem> problems);

        Assert.Empty(problems);
        Assert.Equal(["SensorIngest", "OnnxInference", "AnomalyDetector", "FederatedTrainer"], manifest.Modules.Select(m => m.Name));
        Assert.All(manifest.Modules, m => Assert.Equal(m.Name, m.ModuleFolder));
        Assert.Equal("myregistry.azurecr.io/onnxinference:0.1.0-amd64", manifest.Modules[1].Image);
        Assert.Equal(RestartPolicy.OnFailure, manifest.Modules[3].RestartPolicy);
    }

    [Fact]
    public void Validate_RepositoryTemplateAgainstRepository_IsClean()
    {
        // `./run.sh` runs `edgectl up` on this template, which refuses any problem: it must validate as it stands.
        string template = RepositoryTemplate();
        string modulesRoot = Path.Combine(Path.GetDirectoryName(template)!, "modules");

        Assert.Empty(ManifestValidator.Validate(template, Options(modulesRoot)));
    }

    [Fact]
    public void Validate_SuiteTemplateWithRouteToUndeclaredInput_Fails()
    {
        using var workspace = new TemplateWorkspace();
        AddSuiteModules(workspace);
        workspace.AddModule("FederatedTrainer", repository: "${CONTAINER_REGISTRY_ADDRESS}/federatedtrainer", version: "0.1.0", inputs: ["features"]);

        ManifestProblem problem = Assert.Single(ManifestValidator.Validate(SuiteTemplate(), Options(workspace.ModulesRoot)));

        Assert.Equal("$.modulesContent.$edgeHub['properties.desired'].routes.telemetryToTrainer.route", problem.JsonPath);
        Assert.Contains("has no input 'telemetry'", problem.Message, StringComparison.Ordinal);
    }

    /// <summary>The endpoints of DESIGN.md's data walk, as the module folders are to declare them.</summary>
    internal static void AddSuiteModules(TemplateWorkspace workspace)
    {
        string[] platforms = ["amd64", "amd64.debug", "arm64v8"];
        workspace.AddModule("SensorIngest", "${CONTAINER_REGISTRY_ADDRESS}/sensoringest", "0.1.0", platforms, inputs: [], outputs: ["telemetry"]);
        workspace.AddModule("OnnxInference", "${CONTAINER_REGISTRY_ADDRESS}/onnxinference", "0.1.0", platforms, inputs: ["telemetry"], outputs: ["scores"]);
        workspace.AddModule("AnomalyDetector", "${CONTAINER_REGISTRY_ADDRESS}/anomalydetector", "0.1.0", platforms, inputs: ["telemetry", "scores"], outputs: ["alerts"]);
        workspace.AddModule("FederatedTrainer", "${CONTAINER_REGISTRY_ADDRESS}/federatedtrainer", "0.1.0", platforms, inputs: ["telemetry"], outputs: []);
    }

    private static ManifestLoadOptions Options(string modulesRoot) => new()
    {
        ModulesRoot = modulesRoot,
        // No .env beside the repository template: the registry variables come from this "environment" only.
        EnvFile = null,
        Environment = name => RegistryVariables.TryGetValue(name, out string? value) ? value : null,
    };

    internal static string SuiteTemplate() => Path.Combine(AppContext.BaseDirectory, "TestData", "suite.template.json");

    internal static string RepositoryTemplate()
    {
        for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            string candidate = Path.Combine(directory.FullName, "deployment.template.json");
            if (File.Exists(candidate) && File.Exists(Path.Combine(directory.FullName, "EdgeSolution.sln")))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("deployment.template.json not found above " + AppContext.BaseDirectory);
    }
}
