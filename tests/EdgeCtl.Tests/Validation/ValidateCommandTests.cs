using EdgeCtl.Commands;
using EdgeCtl.Tests.Manifest;
using EdgeCtl.Validation;

namespace EdgeCtl.Tests.Validation;

[Trait("Category", "Unit")]
public class ValidateCommandTests
{
    [Fact]
    public void Run_CleanManifest_ExitsZeroAndPrintsNothing()
    {
        using var workspace = new TemplateWorkspace();
        string path = workspace.WriteManifest(SampleTemplates.Minimal());
        using var output = new StringWriter();

        int exitCode = ValidateCommand.Run(path, workspace.Options(), output);

        Assert.Equal(0, exitCode);
        Assert.Equal(string.Empty, output.ToString());
    }

    [Fact]
    public void Run_BrokenManifest_ExitsOneWithOneLinePerProblem()
    {
        using var workspace = new TemplateWorkspace();
        var template = SampleTemplates.Minimal();
        SampleTemplates.Module(template, "producer")["restartPolicy"] = "sometimes";
        SampleTemplates.Routes(template)["bad"] = "FROM /messages/* INTO";
        string path = workspace.WriteManifest(template);
        using var output = new StringWriter();

        int exitCode = ValidateCommand.Run(path, workspace.Options(), output);

        Assert.Equal(1, exitCode);
        string[] lines = output.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.StartsWith($"{path}: $.modulesContent.$edgeAgent['properties.desired'].modules.producer.restartPolicy: restartPolicy \"sometimes\"", lines[0], StringComparison.Ordinal);
        Assert.StartsWith($"{path}: $.modulesContent.$edgeHub['properties.desired'].routes.bad: route syntax error at line 1, column ", lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cli_ValidateWithModulesAndEnvOptions_UsesThem()
    {
        using var workspace = new TemplateWorkspace();
        workspace.AddModule("SampleModule");
        string env = workspace.WriteEnv(SampleTemplates.IotEdgeDevDotEnv, "custom.env");
        string path = workspace.WriteManifest(SampleTemplates.IotEdgeDev("${MODULES.SampleModule.arm32v7}"));
        string otherModules = Path.Combine(workspace.Root, "elsewhere");

        int clean = await EdgeCtlCli.Build().Parse(["validate", path, "--env", env, "--modules", workspace.ModulesRoot, "--platform", "arm32v7"]).InvokeAsync();
        int missingFolder = await EdgeCtlCli.Build().Parse(["validate", path, "--env", env, "--modules", otherModules]).InvokeAsync();

        Assert.Equal(0, clean);
        Assert.Equal(1, missingFolder);
    }
}
