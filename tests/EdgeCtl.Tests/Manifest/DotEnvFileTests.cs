using EdgeCtl.Manifest;

namespace EdgeCtl.Tests.Manifest;

[Trait("Category", "Unit")]
public class DotEnvFileTests
{
    private static readonly Func<string, string?> NoEnvironment = _ => null;

    [Theory]
    [InlineData("A=1", "A", "1")]
    [InlineData("export B=2", "B", "2")]
    [InlineData("  C = spaced  ", "C", "spaced")]
    [InlineData("D=\"double quoted\"", "D", "double quoted")]
    [InlineData("E='single ${X} literal'", "E", "single ${X} literal")]
    [InlineData("F=\"line\\nnext\"", "F", "line\nnext")]
    [InlineData("G=value # comment", "G", "value")]
    [InlineData("H=value#not-a-comment", "H", "value#not-a-comment")]
    [InlineData("I=", "I", "")]
    [InlineData("J=\"\"", "J", "")]
    [InlineData("K=\"quoted\" # trailing comment", "K", "quoted")]
    [InlineData("L=a=b=c", "L", "a=b=c")]
    [InlineData("M=windows\r\n", "M", "windows")]
    [InlineData("N='it\\'s'", "N", "it's")]
    [InlineData("O=\"two\nlines\"", "O", "two\nlines")]
    [InlineData("P=\"p@ss#word\"", "P", "p@ss#word")]
    public void Parse_Line_GivesValueAsPythonDotenv(string text, string key, string expected)
    {
        IReadOnlyDictionary<string, string> values = DotEnvFile.Parse(text, NoEnvironment);

        Assert.Equal(expected, values[key]);
    }

    [Theory]
    [InlineData("# a comment")]
    [InlineData("    # indented comment")]
    [InlineData("")]
    [InlineData("NOVALUE")]
    public void Parse_CommentBlankOrBareKey_GivesNoEntry(string text)
    {
        Assert.Empty(DotEnvFile.Parse(text, NoEnvironment));
    }

    [Fact]
    public void Parse_Interpolation_PrefersEnvironmentThenEarlierEntriesThenDefault()
    {
        const string Text = """
            HOST=from-file
            URL=https://${HOST}/x
            REGION=${REGION_FROM_ENV}
            FALLBACK=${UNSET:-dflt}
            EMPTY=${UNSET}
            """;

        IReadOnlyDictionary<string, string> values = DotEnvFile.Parse(Text, name => name switch
        {
            "REGION_FROM_ENV" => "westeurope",
            _ => null,
        });

        Assert.Equal("https://from-file/x", values["URL"]);
        Assert.Equal("westeurope", values["REGION"]);
        Assert.Equal("dflt", values["FALLBACK"]);
        Assert.Equal(string.Empty, values["EMPTY"]);
    }

    [Fact]
    public void Parse_RepeatedKey_LastWins()
    {
        Assert.Equal("2", DotEnvFile.Parse("A=1\nA=2\n", NoEnvironment)["A"]);
    }

    [Fact]
    public void Parse_RandomAndTruncatedInput_NeverThrows()
    {
        const string Sample = "export A=\"x\\ny\" # c\nB='q'\nC=${A:-d}\n#x\nD=\"unterminated";
        var random = new Random(1234);
        for (int length = 0; length <= Sample.Length; length++)
        {
            _ = DotEnvFile.Parse(Sample[..length], NoEnvironment);
        }

        const string Alphabet = "AB=#'\"\\${}:- \n\rexport";
        for (int i = 0; i < 2000; i++)
        {
            char[] chars = new char[random.Next(0, 40)];
            for (int j = 0; j < chars.Length; j++)
            {
                chars[j] = Alphabet[random.Next(Alphabet.Length)];
            }

            _ = DotEnvFile.Parse(new string(chars), NoEnvironment);
        }
    }
}
