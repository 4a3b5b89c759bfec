using EdgeCtl.Manifest;
using EdgeCtl.Supervisor;
using static EdgeCtl.Tests.Supervisor.SupervisorHarness;

namespace EdgeCtl.Tests.Supervisor;

/// <summary>Real `dotnet build` runs of tiny projects in temp folders (outside the repo, so its Directory.Build.props does not apply).</summary>
[Trait("Category", "Integration")]
public sealed class ModuleSupervisorBuildTests : IDisposable
{
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(4);
    private readonly string _projects = Directory.CreateTempSubdirectory("edgectl-sup-proj").FullName;

    [Fact]
    public async Task ValidProject_IsBuiltOnceForEveryDevice_AndItsOutputLandsInThePrefixedLogFile()
    {
        string project = WriteProject("Tiny", """Console.WriteLine($"hello from tiny {Environment.GetEnvironmentVariable("IOTEDGE_DEVICEID")}");""");
        await using var h = new SupervisorHarness();
        ModuleLaunch For(string device) =>
            new(device, Spec("tiny", RestartPolicy.Never), project, new Dictionary<string, string> { ["IOTEDGE_DEVICEID"] = device });

        await h.Supervisor.StartAsync([For("dev1"), For("dev2")], CancellationToken.None);

        ModuleStatus exited = await h.WaitForAsync("dev1/tiny", s => s.State is ModuleState.Exited or ModuleState.Failed, timeout: BuildTimeout);
        Assert.True(exited.State == ModuleState.Exited, exited.LastError);
        await h.WaitForAsync("dev2/tiny", s => s.State == ModuleState.Exited, timeout: BuildTimeout);
        Assert.Contains("[dev1/tiny] hello from tiny dev1", await File.ReadAllTextAsync(h.LogFile("dev1", "tiny")));
        Assert.Contains("[dev2/tiny] hello from tiny dev2", await File.ReadAllTextAsync(h.LogFile("dev2", "tiny")));
        Assert.Equal(1, h.Logs.Count("Building"));
        Assert.True(File.Exists(Path.Combine(h.StateDirectory, "build", "Tiny", "tiny-module.dll")));
        Assert.Contains(h.History, s => s.Key == "dev1/tiny" && s.State == ModuleState.Building);
    }

    [Fact]
    public async Task ProjectThatDoesNotBuild_IsFailedWithTheCompilerError_AndOtherModulesStillRun()
    {
        string project = WriteProject("Broken", "this is not C#");
        await using var h = new SupervisorHarness();
        await h.Supervisor.StartAsync(
            [
                new ModuleLaunch("dev1", Spec("broken", RestartPolicy.Always), project, new Dictionary<string, string>()),
                Shell("dev1", Spec("healthy", RestartPolicy.Always, startupOrder: 1), "sleep 30"),
            ],
            CancellationToken.None);

        ModuleStatus failed = await h.WaitForAsync("dev1/broken", s => s.State == ModuleState.Failed, timeout: BuildTimeout);
        Assert.Contains("build of Broken failed", failed.LastError);
        Assert.Contains("error CS", failed.LastError);
        Assert.Null(failed.ProcessId);
        await h.WaitForAsync("dev1/healthy", s => s.State == ModuleState.Running);
        Assert.Contains("error CS", await File.ReadAllTextAsync(h.LogFile("dev1", "broken")));
        Assert.Contains(h.ConsoleLines, l => l.Key == "dev1/broken" && l.IsError && l.Line.Contains("error CS", StringComparison.Ordinal));
        Assert.Equal(1, h.Logs.Count("BuildFailed"));
        Assert.Equal(ModuleState.Running, h.Supervisor.Snapshot().Single(s => s.Module == "healthy").State);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_projects, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }

    private string WriteProject(string name, string program)
    {
        string dir = Path.Combine(_projects, name);
        Directory.CreateDirectory(dir);
        string project = Path.Combine(dir, name + ".csproj");
        File.WriteAllText(project, $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
                <AssemblyName>{(name == "Tiny" ? "tiny-module" : name)}</AssemblyName>
              </PropertyGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(dir, "Program.cs"), program);
        return project;
    }
}
