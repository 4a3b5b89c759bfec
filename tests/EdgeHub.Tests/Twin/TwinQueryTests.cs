using EdgeHub.Twin;

namespace EdgeHub.Tests.Twin;

[Trait("Category", "Unit")]
public sealed class TwinQueryTests
{
    [Theory]
    [InlineData("tags.site = 'a'", "$body.tags.site = 'a'")]
    [InlineData("tags.site = 'tags.x' AND NOT is_defined(properties.reported.ok)", "$body.tags.site = 'tags.x' AND NOT is_defined($body.properties.reported.ok)")]
    [InlineData("deviceId = \"d\" OR moduleId != 'm'", "$body.deviceId = \"d\" OR $body.moduleId != 'm'")]
    public void ToBodyPaths_RewritesPathsButNotLiteralsKeywordsOrFunctions(string condition, string expected) =>
        Assert.Equal(expected, TwinQuery.ToBodyPaths(condition));

    [Theory]
    [InlineData("SELECT * FROM devices")]
    [InlineData("SELECT * FROM devices.modules GROUP BY x")]
    [InlineData("DELETE FROM devices.modules")]
    public void Parse_UnsupportedQuery_Throws(string query) =>
        Assert.ThrowsAny<Exception>(() => TwinQuery.Parse(query));

    [Fact]
    public void Matches_EvaluatesTheConditionOverTheTwinDocument()
    {
        var twin = System.Text.Json.Nodes.JsonNode.Parse("{\"deviceId\":\"d\",\"moduleId\":\"m\",\"tags\":{\"site\":\"a\",\"ring\":2},\"properties\":{\"desired\":{},\"reported\":{\"model\":{\"version\":\"3\"}}}}")!.AsObject();
        Assert.True(TwinQuery.Parse("SELECT * FROM devices.modules WHERE tags.site = 'a' AND tags.ring >= 2").Matches(twin));
        Assert.True(TwinQuery.Parse("SELECT * FROM devices.modules WHERE properties.reported.model.version = '3'").Matches(twin));
        Assert.False(TwinQuery.Parse("SELECT * FROM devices.modules WHERE tags.site = 'b'").Matches(twin));
        Assert.False(TwinQuery.Parse("SELECT * FROM devices.modules WHERE tags.missing = 'b'").Matches(twin));
    }
}
