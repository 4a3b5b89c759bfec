using System.Text;
using System.Text.Json.Nodes;
using SensorIngest.Polling;

namespace SensorIngest.Tests.Polling;

[Trait("Category", "Unit")]
public class TelemetryEncoderTests
{
    [Fact]
    public void Encode_WritesTelemetry1CamelCase()
    {
        var batch = new TelemetryBatch
        {
            Source = "modbus://pump1",
            Points =
            [
                new TelemetryPoint { Signal = "pump1.vibration.rms", Ts = TelemetryPoint.FormatTimestamp(new DateTimeOffset(2026, 11, 25, 8, 0, 0, 5, TimeSpan.FromHours(1))), Value = 1.23, Unit = "mm/s", Seq = 123 },
                new TelemetryPoint { Signal = "pump1.flow", Ts = "2026-11-25T07:00:00.005Z", Quality = TelemetryPoint.Bad, Seq = 124 },
            ],
        };

        string json = Encoding.UTF8.GetString(TelemetryEncoder.Encode(batch));

        Assert.Equal(
            """{"schema":"telemetry/1","source":"modbus://pump1","points":[{"signal":"pump1.vibration.rms","ts":"2026-11-25T07:00:00.005Z","value":1.23,"unit":"mm/s","quality":"good","seq":123},{"signal":"pump1.flow","ts":"2026-11-25T07:00:00.005Z","value":null,"quality":"bad","seq":124}]}""",
            json);
    }

    [Fact]
    public void EncodeCapped_LargeBatch_SplitsBelowLimitKeepingOrder()
    {
        var batch = new TelemetryBatch { Source = "modbus://big" };
        for (int i = 0; i < 5000; i++)
        {
            batch.Points.Add(new TelemetryPoint { Signal = $"big.signal.with.a.longer.name.{i}", Ts = "2026-11-25T08:00:00.000Z", Value = i * 1.5, Unit = "mm/s", Seq = i + 1 });
        }

        List<byte[]> messages = TelemetryEncoder.EncodeCapped(batch, 64 * 1024);

        Assert.True(messages.Count > 1);
        long expected = 1;
        foreach (byte[] message in messages)
        {
            Assert.True(message.Length <= 64 * 1024);
            JsonObject o = JsonNode.Parse(message)!.AsObject();
            Assert.Equal("modbus://big", (string?)o["source"]);
            foreach (JsonNode? p in o["points"]!.AsArray())
            {
                Assert.Equal(expected++, (long)p!["seq"]!);
            }
        }

        Assert.Equal(5001, expected);
    }

    [Fact]
    public void EncodeCapped_SmallBatch_IsOneMessage() =>
        Assert.Single(TelemetryEncoder.EncodeCapped(new TelemetryBatch { Source = "modbus://s", Points = [new TelemetryPoint { Signal = "a", Value = 1 }] }));
}
