using EdgeCtl.Validation;

namespace EdgeCtl.Tests.Validation;

[Trait("Category", "Unit")]
public class DuplicateKeyScannerTests
{
    [Fact]
    public void Scan_NestedObjectsAndArrays_ReportsPathOfEachRepeat()
    {
        const string Text = """
            { "a": 1, "b": { "x": 1, "x": 2, "x": 3 }, "c": [ { "y": 1 }, { "y": 1, "y": 2 } ], "a": 2 }
            """;

        List<(string ObjectPath, string Name)> duplicates = DuplicateKeyScanner.Scan(Text);

        Assert.Equal([("$.b", "x"), ("$.b", "x"), ("$.c[1]", "y"), ("$", "a")], duplicates);
    }

    [Fact]
    public void Scan_SameNameInSiblingObjects_IsNotADuplicate()
    {
        Assert.Empty(DuplicateKeyScanner.Scan("""{ "a": { "n": 1 }, "b": { "n": 1 }, "c": [ { "n": 1 }, { "n": 2 } ] }"""));
    }

    [Fact]
    public void Scan_TruncatedText_ReturnsWhatItFoundWithoutThrowing()
    {
        const string Text = """{ "r": { "x": 1, "x": 2, "y": [1, 2""";
        for (int length = 0; length <= Text.Length; length++)
        {
            _ = DuplicateKeyScanner.Scan(Text[..length]);
        }

        Assert.Single(DuplicateKeyScanner.Scan(Text));
    }
}
