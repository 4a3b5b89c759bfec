using EdgeCtl.Manifest;

namespace EdgeCtl.Tests.Manifest;

[Trait("Category", "Unit")]
public class JsonPathsTests
{
    [Theory]
    [InlineData("modulesContent", "$.modulesContent")]
    [InlineData("$edgeAgent", "$.$edgeAgent")]
    [InlineData("properties.desired", "$['properties.desired']")]
    [InlineData("$schema-template", "$['$schema-template']")]
    [InlineData("it's", "$['it\\'s']")]
    [InlineData("5671/tcp", "$['5671/tcp']")]
    [InlineData("", "$['']")]
    public void Property_Name_UsesDotOnlyForIdentifiers(string name, string expected)
    {
        Assert.Equal(expected, JsonPaths.Property(JsonPaths.Root, name));
    }

    [Theory]
    [InlineData("", "$")]
    [InlineData("/modulesContent/$edgeAgent/properties.desired", "$.modulesContent.$edgeAgent['properties.desired']")]
    [InlineData("/a~1b/c~0d", "$['a/b']['c~d']")]
    [InlineData("#/x", "$.x")]
    public void FromPointer_JsonPointer_GivesPath(string pointer, string expected)
    {
        Assert.Equal(expected, JsonPaths.FromPointer(pointer));
    }
}
