using System.Text.Json.Nodes;
using SensorIngest.Configuration;

namespace SensorIngest.Tests.Configuration;

/// <summary>Random and mutated twin documents: the parser and validator answer with problems, never with an exception.</summary>
[Trait("Category", "Unit")]
public class ConfigurationFuzzTests
{
    private static readonly string[] Seeds =
    [
        """{"publishInterval":0,"slaves":[{"name":"p","endpoint":"h:502","unitId":1,"pollingInterval":1000,"points":[{"signal":"a","function":4,"address":0,"type":"float32","order":"CDAB","scale":2,"offset":1,"unit":"u"}]}]}""",
        """{"PublishInterval":"5000","SlaveConfigs":{"S":{"SlaveConnection":"h","HwId":"x","TcpPort":"502","RetryCount":"1","RetryInterval":"5","Operations":{"O":{"PollingInterval":"1000","UnitId":"1","StartAddress":"400001","Count":"2","DisplayName":"v","CorrelationId":"c"}}}}}""",
    ];

    private static readonly JsonNode?[] Replacements =
    [
        null, JsonValue.Create(-1), JsonValue.Create(0), JsonValue.Create(1e300), JsonValue.Create(double.MaxValue), JsonValue.Create(65536),
        JsonValue.Create(""), JsonValue.Create("x"), JsonValue.Create("999999999999"), JsonValue.Create("4"), JsonValue.Create(true),
        new JsonArray(), new JsonObject(), new JsonArray(1, "a"), JsonValue.Create(0.5), JsonValue.Create("NaN"), JsonValue.Create("-Infinity"),
    ];

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void Parse_MutatedDocuments_NeverThrow(int seed)
    {
        var random = new Random(4242 + seed);
        for (int i = 0; i < 5000; i++)
        {
            JsonObject doc = JsonNode.Parse(Seeds[seed])!.AsObject();
            int mutations = random.Next(1, 4);
            for (int m = 0; m < mutations; m++)
            {
                Mutate(doc, random);
            }

            ConfigurationParseResult result = ConfigurationParser.Parse(doc);
            if (result.Configuration is not null)
            {
                _ = IngestConfigurationValidator.Problems(result.Configuration);
            }
        }
    }

    [Fact]
    public void ConfigurationState_RandomPatchSequence_NeverThrowsAndKeepsAValidConfiguration()
    {
        var random = new Random(7);
        var state = new ConfigurationState(DefaultConfiguration.FromEndpoint("127.0.0.1:15502"));
        for (int i = 0; i < 2000; i++)
        {
            JsonObject patch = JsonNode.Parse(Seeds[random.Next(Seeds.Length)])!.AsObject();
            Mutate(patch, random);
            state.ApplyPatch(patch);
            Assert.NotNull(state.Current);
            Assert.Empty(IngestConfigurationValidator.Problems(state.Current!));
        }
    }

    private static void Mutate(JsonNode root, Random random)
    {
        // Walk to a random node and replace (or remove) one of its children.
        JsonNode node = root;
        for (int depth = 0; depth < 8; depth++)
        {
            JsonNode? next = node switch
            {
                JsonObject o when o.Count > 0 => o.ElementAt(random.Next(o.Count)).Value,
                JsonArray a when a.Count > 0 => a[random.Next(a.Count)],
                _ => null,
            };
            if (next is null || next is JsonValue || random.Next(4) == 0)
            {
                break;
            }

            node = next;
        }

        JsonNode? replacement = Replacements[random.Next(Replacements.Length)]?.DeepClone();
        switch (node)
        {
            case JsonObject o when o.Count > 0:
                string key = o.ElementAt(random.Next(o.Count)).Key;
                if (random.Next(5) == 0)
                {
                    o.Remove(key);
                }
                else
                {
                    o[key] = replacement;
                }

                break;
            case JsonArray a when a.Count > 0:
                a[random.Next(a.Count)] = replacement;
                break;
        }
    }
}
