using EdgeCtl.Routes;

namespace EdgeCtl.Tests.Routes;

/// <summary>Truncated and random routes and bodies end in a clean exit code (0, 1 or 2), never an exception or a hang.</summary>
[Trait("Category", "Unit")]
public class RouteTesterFuzzTests
{
    private const string Route =
        "FROM /messages/modules/SensorIngest/outputs/telemetry WHERE ($body.temperature > 50 AND starts_with(sensor, 'a')) OR NOT is_defined({$messageId}) /* c */ INTO BrokeredEndpoint(\"/modules/x/inputs/y\")";

    private const string Body = "{\"temperature\": 72.5, \"list\": [1, {\"a\": \"\\u0041\"}], \"ok\": true}";

    [Fact]
    public async Task RunAsync_EveryTruncationOfARoute_ExitsCleanly()
    {
        for (int length = 0; length <= Route.Length; length++)
        {
            int exitCode = await RunAsync(new RouteTestRequest { Route = Route[..length], SourceModule = "SensorIngest", Output = "telemetry", Properties = ["sensor=a"], Json = true });

            Assert.InRange(exitCode, 0, 2);
            if (length < Route.Length)
            {
                Assert.Equal(RouteTester.SyntaxOrUsageError, exitCode);
            }
        }
    }

    [Fact]
    public async Task RunAsync_EveryTruncationOfTheBody_ExitsCleanly()
    {
        string directory = Path.Combine(Path.GetTempPath(), "routefuzz-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        try
        {
            string file = Path.Combine(directory, "body.json");
            for (int length = 0; length <= Body.Length; length++)
            {
                await File.WriteAllTextAsync(file, Body[..length]);
                int exitCode = await RunAsync(new RouteTestRequest
                {
                    Condition = "$body.list[1].a = 'A' OR $body.ok",
                    Body = file,
                    SystemProperties = ["contentType=application/json", "contentEncoding=utf-8"],
                    Json = true,
                });

                Assert.InRange(exitCode, 0, 1);
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task RunAsync_RandomConditions_ExitCleanly()
    {
        const string Alphabet = "abc$._()[]{}'\"\\=<>!?|+-*/%01234567890xe NOTANDOR,";
        var random = new Random(12);
        for (int i = 0; i < 2000; i++)
        {
            char[] text = new char[random.Next(0, 40)];
            for (int j = 0; j < text.Length; j++)
            {
                text[j] = Alphabet[random.Next(Alphabet.Length)];
            }

            int exitCode = await RunAsync(new RouteTestRequest { Condition = new string(text), Properties = ["a=1"], Json = true });

            Assert.InRange(exitCode, 0, 2);
        }
    }

    private static async Task<int> RunAsync(RouteTestRequest request)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        return await RouteTester.RunAsync(request, TextReader.Null, stdout, stderr, CancellationToken.None);
    }
}
