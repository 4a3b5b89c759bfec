using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace SensorIngest.Polling;

/// <summary>A <c>telemetry/1</c> message (DESIGN.md): one source, the points of one poll cycle.</summary>
public sealed class TelemetryBatch
{
    public const string SchemaName = "telemetry/1";

    public string Schema { get; init; } = SchemaName;

    /// <summary><c>modbus://&lt;slave&gt;</c>.</summary>
    public string Source { get; init; } = "";

    public List<TelemetryPoint> Points { get; init; } = [];
}

/// <summary>One value of a <see cref="TelemetryBatch"/>.</summary>
public sealed class TelemetryPoint
{
    public const string Good = "good";
    public const string Bad = "bad";

    public string Signal { get; init; } = "";

    /// <summary>UTC, millisecond precision, "Z" suffix ("2026-11-25T08:00:00.000Z").</summary>
    public string Ts { get; init; } = "";

    /// <summary>Engineering value; null when <see cref="Quality"/> is bad.</summary>
    public double? Value { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Unit { get; init; }

    public string Quality { get; init; } = Good;

    /// <summary>Increases by one per point and source, so consumers can measure loss and duplicates.</summary>
    public long Seq { get; init; }

    public static string FormatTimestamp(DateTimeOffset ts) =>
        ts.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(TelemetryBatch))]
internal sealed partial class TelemetryJsonContext : JsonSerializerContext
{
}

/// <summary>Encodes batches as UTF-8 JSON, split so that every message stays below the hub's size limit.</summary>
public static class TelemetryEncoder
{
    /// <summary>edgeHub's limit is 256 KB per message including properties; stay below it with room for those.</summary>
    public const int DefaultMaxBytes = 255 * 1024;

    public static byte[] Encode(TelemetryBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var buffer = new ArrayBufferWriter<byte>(256 + (batch.Points.Count * 128));
        using (var writer = new Utf8JsonWriter(buffer))
        {
            JsonSerializer.Serialize(writer, batch, TelemetryJsonContext.Default.TelemetryBatch);
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>One or more messages holding every point in order, each at most <paramref name="maxBytes"/> long.</summary>
    public static List<byte[]> EncodeCapped(TelemetryBatch batch, int maxBytes = DefaultMaxBytes)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var output = new List<byte[]>(1);
        Split(batch, 0, batch.Points.Count, maxBytes, output);
        return output;
    }

    private static void Split(TelemetryBatch batch, int start, int count, int maxBytes, List<byte[]> output)
    {
        TelemetryBatch part = start == 0 && count == batch.Points.Count
            ? batch
            : new TelemetryBatch { Schema = batch.Schema, Source = batch.Source, Points = batch.Points.GetRange(start, count) };
        byte[] body = Encode(part);
        if (body.Length <= maxBytes || count <= 1)
        {
            if (body.Length > maxBytes)
            {
                throw new InvalidOperationException($"one telemetry point of {batch.Source} encodes to {body.Length} bytes, above the {maxBytes} byte limit");
            }

            output.Add(body);
            return;
        }

        int half = count / 2;
        Split(batch, start, half, maxBytes, output);
        Split(batch, start + half, count - half, maxBytes, output);
    }
}

/// <summary>Where pollers hand their batches: the hub in the module, a list in tests.</summary>
public interface ITelemetrySink
{
    /// <summary>Takes a batch for publishing. Must not block the caller for a hub round trip (the poll schedule depends on it).</summary>
    ValueTask PublishAsync(TelemetryBatch batch, CancellationToken cancellationToken);
}
