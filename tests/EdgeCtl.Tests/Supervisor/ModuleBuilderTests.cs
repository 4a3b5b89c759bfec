using EdgeCtl.Supervisor;

namespace EdgeCtl.Tests.Supervisor;

[Trait("Category", "Unit")]
public class ModuleBuilderTests
{
    [Fact]
    public void FirstErrors_TakesCompilerErrorLinesOnce()
    {
        string[] output =
        [
            "  Determining projects to restore...",
            "/tmp/p/Program.cs(1,5): error CS1002: ; expected [/tmp/p/p.csproj]",
            "/tmp/p/Program.cs(1,5): error CS1002: ; expected [/tmp/p/p.csproj]",
            "/tmp/p/Program.cs(2,1): error CS0103: The name 'x' does not exist [/tmp/p/p.csproj]",
        ];
        string errors = ModuleBuilder.FirstErrors(output);
        Assert.Equal(2, errors.Split(Environment.NewLine).Length);
        Assert.StartsWith("/tmp/p/Program.cs(1,5): error CS1002", errors);
    }

    [Fact]
    public void FirstErrors_WithoutErrorLines_TakesTheLastLines()
        => Assert.Equal("MSBUILD : something went wrong", ModuleBuilder.FirstErrors(["", "MSBUILD : something went wrong", " "]));

    [Fact]
    public void AssemblyNameOf_ReadsAssemblyName_ElseUsesTheFileName()
    {
        string dir = Directory.CreateTempSubdirectory("edgectl-asm").FullName;
        try
        {
            string named = Path.Combine(dir, "Named.csproj");
            File.WriteAllText(named, "<Project Sdk=\"Microsoft.NET.Sdk\"><PropertyGroup><AssemblyName>edge-thing</AssemblyName></PropertyGroup></Project>");
            string plain = Path.Combine(dir, "Plain.csproj");
            File.WriteAllText(plain, "<Project Sdk=\"Microsoft.NET.Sdk\"></Project>");
            string broken = Path.Combine(dir, "Broken.csproj");
            File.WriteAllText(broken, "<Project");
            Assert.Equal("edge-thing", ModuleBuilder.AssemblyNameOf(named));
            Assert.Equal("Plain", ModuleBuilder.AssemblyNameOf(plain));
            Assert.Equal("Broken", ModuleBuilder.AssemblyNameOf(broken));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
