using System.Text;
using EdgeHub.Messaging;
using EdgeHub.Routing;

namespace EdgeHub.Tests.Routing;

/// <summary>
/// Random, truncated and mutated routes with a fixed seed: every input either parses or throws
/// <see cref="RouteSyntaxException"/> (never another exception, never a hang), and whatever parses evaluates without throwing.
/// </summary>
[Trait("Category", "Unit")]
public class RouteParserFuzzTests
{
    private const int Seed = 20261125;

    private static readonly string[] ValidRoutes =
    [
        "FROM /messages/* INTO $upstream",
        "SELECT * FROM /messages/modules/tempSensor/outputs/temperatureOutput INTO BrokeredEndpoint(\"/modules/filtermodule/inputs/input1\")",
        "FROM /messages/* WHERE NOT IS_DEFINED($connectionModuleId) INTO $upstream",
        "FROM /messages/modules/* WHERE $body.temperature > 50 AND sensor = 'a' INTO BrokeredEndpoint('/modules/alerts/inputs/hot')",
        "FROM /* WHERE (as_number(level) + 2 * 3 >= 0x1F OR starts_with($body.name, \"Ta\\u006Ek\")) AND {$contentType} <> 'x' INTO $upstream",
        "FROM /messages/* WHERE concat(lower(sensor), '-', upper(level)) = 'a-HIGH' ?? false /* c */ INTO $upstream",
        "FROM /twinChangeNotifications WHERE $body.arr[2].z % 2 = 1 AND substring($body.name, 1, 2) != 'an' INTO $upstream",
    ];

    private static readonly string[] Fragments =
    [
        "FROM", "WHERE", "INTO", "SELECT", "*", "/", "/messages/*", "/messages/modules/m/outputs/o", "/*", "*/", "(", ")", "{", "}",
        "'", "\"", "'x'", "\"y\"", "\\", "\\u00", "\\u0041", "$", "$body", "$body.a", "$body.a[0]", "$body.a[", "$upstream", "$twin.x",
        "AND", "OR", "NOT", "and", "=", "<>", "!=", "<", "<=", ">", ">=", "??", "||", "-", "+", "%", "1", "-1", "0x1F", "0x", "1e5",
        "1e", ".5", ".", "[", "]", ",", "abs(", "concat(", "substring(", "is_defined(", "BrokeredEndpoint(", "\"/modules/m/inputs/i\"",
        "true", "false", "null", "undefined", "@", ";", ":", "?", "!", "é", "\u0000", "\uD800", " ", " ", " ", "\n", "\t", "sensor",
    ];

    private static readonly HubMessage Message = TestMessages.Standard;

    [Fact]
    public void Parse_RandomFragmentSequences_ParseOrThrowSyntaxError()
    {
        var random = new Random(Seed);
        var inputs = new List<string>();
        for (int i = 0; i < 6000; i++)
        {
            var text = new StringBuilder();
            if (random.Next(3) > 0)
            {
                text.Append("FROM /messages/* WHERE ");
            }

            int count = random.Next(1, 24);
            for (int j = 0; j < count; j++)
            {
                text.Append(Fragments[random.Next(Fragments.Length)]);
                if (random.Next(2) == 0)
                {
                    text.Append(' ');
                }
            }

            if (random.Next(3) > 0)
            {
                text.Append(" INTO $upstream");
            }

            inputs.Add(text.ToString());
        }

        AssertParseOrSyntaxError(inputs);
    }

    [Fact]
    public void Parse_RandomCharacters_ParseOrThrowSyntaxError()
    {
        var random = new Random(Seed + 1);
        const string alphabet = "FROMWHEINTSLCfromwheintslc/*$()'\"\\{}[].,=<>!?|+-%0123456789xeu_ \n\t@;:";
        var inputs = new List<string>();
        for (int i = 0; i < 4000; i++)
        {
            char[] chars = new char[random.Next(0, 80)];
            for (int j = 0; j < chars.Length; j++)
            {
                chars[j] = random.Next(20) == 0 ? (char)random.Next(0, 0x3000) : alphabet[random.Next(alphabet.Length)];
            }

            inputs.Add(new string(chars));
        }

        AssertParseOrSyntaxError(inputs);
    }

    [Fact]
    public void Parse_EveryTruncationOfValidRoutes_ParseOrThrowSyntaxError()
    {
        var inputs = new List<string>();
        foreach (string route in ValidRoutes)
        {
            for (int length = 0; length <= route.Length; length++)
            {
                inputs.Add(route[..length]);
                inputs.Add(route[length..]);
            }
        }

        AssertParseOrSyntaxError(inputs);
    }

    [Fact]
    public void Parse_MutatedValidRoutes_ParseOrThrowSyntaxError()
    {
        var random = new Random(Seed + 2);
        var inputs = new List<string>();
        foreach (string route in ValidRoutes)
        {
            Assert.NotNull(RouteParser.Parse("seed", route));
            for (int i = 0; i < 600; i++)
            {
                var text = new StringBuilder(route);
                int mutations = random.Next(1, 4);
                for (int m = 0; m < mutations && text.Length > 0; m++)
                {
                    int at = random.Next(text.Length);
                    switch (random.Next(5))
                    {
                        case 0:
                            text.Remove(at, 1);
                            break;
                        case 1:
                            text.Insert(at, Fragments[random.Next(Fragments.Length)]);
                            break;
                        case 2:
                            text[at] = (char)random.Next(32, 127);
                            break;
                        case 3:
                            int length = random.Next(1, Math.Min(12, text.Length - at) + 1);
                            text.Insert(at, text.ToString(at, length));
                            break;
                        default:
                            text.Remove(at, random.Next(1, text.Length - at + 1));
                            break;
                    }
                }

                inputs.Add(text.ToString());
            }
        }

        AssertParseOrSyntaxError(inputs);
    }

    private static void AssertParseOrSyntaxError(List<string> inputs)
    {
        int parsed = 0, rejected = 0;
        var failures = new List<string>();
        Task run = Task.Run(() =>
        {
            foreach (string input in inputs)
            {
                try
                {
                    Route route = RouteParser.Parse("fuzz", input);
                    parsed++;
                    route.Condition?.Evaluate(Message);
                    route.Condition?.EvaluateOutcome(Message);
                }
                catch (RouteSyntaxException ex)
                {
                    rejected++;
                    if (ex.Line < 1 || ex.Column < 1 || string.IsNullOrEmpty(ex.Reason))
                    {
                        failures.Add($"bad position/reason for {Escape(input)}: {ex.Message}");
                    }
                }
                catch (Exception ex)
                {
                    failures.Add($"{ex.GetType().Name} for {Escape(input)}: {ex.Message}");
                }
            }
        });

        Assert.True(run.Wait(TimeSpan.FromSeconds(60)), "the parser did not finish within 60 s (hang?)");
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(20)));
        Assert.Equal(inputs.Count, parsed + rejected);
    }

    private static string Escape(string input) =>
        "\"" + input.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
