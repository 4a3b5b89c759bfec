using EdgeCtl.Manifest;

namespace EdgeCtl.Tests.Manifest;

[Trait("Category", "Unit")]
public class PlaceholdersTests
{
    [Theory]
    [InlineData("${MODULES.SampleModule}", "SampleModule", null, false)]
    [InlineData("${MODULES.SampleModule.debug}", "SampleModule", "debug", false)]
    [InlineData("${MODULES.SampleModule.arm64v8.debug}", "SampleModule", "arm64v8.debug", false)]
    [InlineData("${MODULEDIR<../shared/Filter>}", "../shared/Filter", null, true)]
    [InlineData("${MODULEDIR<modules/Filter>.arm32v7}", "modules/Filter", "arm32v7", true)]
    public void TryParseImagePlaceholder_IotEdgeDevForms_Parse(string image, string folder, string? platform, bool isModuleDir)
    {
        Assert.True(Placeholders.TryParseImagePlaceholder(image, out string f, out string? p, out bool dir));
        Assert.Equal(folder, f);
        Assert.Equal(platform, p);
        Assert.Equal(isModuleDir, dir);
    }

    [Theory]
    [InlineData("${MODULES.}")]
    [InlineData("${MODULES.A.}")]
    [InlineData("prefix/${MODULES.A}")]
    [InlineData("${MODULES.A}:tag")]
    [InlineData("${CONTAINER_REGISTRY_SERVER}/a:1")]
    [InlineData("mcr.microsoft.com/azureiotedge-agent:1.5")]
    public void TryParseImagePlaceholder_OtherValues_AreNotPlaceholders(string image)
    {
        Assert.False(Placeholders.TryParseImagePlaceholder(image, out _, out _, out _));
    }

    [Fact]
    public void ExpandVariables_SetEmptyAndUnset_AsOsPathExpandvars()
    {
        var missing = new List<string>();
        var variables = new Dictionary<string, string> { ["A"] = "1", ["EMPTY"] = string.Empty };

        string result = Placeholders.ExpandVariables("${A}-${EMPTY}-${UNSET}-${MODULES.X}-$A", n => variables.GetValueOrDefault(n), missing);

        Assert.Equal("1--${UNSET}-${MODULES.X}-$A", result);
        Assert.Equal(["UNSET"], missing);
    }
}
