using System.Diagnostics.Metrics;
using EdgeKit.Metrics;

namespace EdgeKit.Tests.Metrics;

[Trait("Category", "Unit")]
public class PrometheusExporterTests
{
    [Fact]
    public void Collect_WritesTextFormatForEveryInstrumentKind()
    {
        string meterName = "Test.Exporter." + Guid.NewGuid().ToString("N");
        using var exporter = new PrometheusExporter([meterName], [1, 5]);
        using var meter = new Meter(meterName);
        Counter<long> counter = meter.CreateCounter<long>("edge.test.requests", description: "Requests handled.");
        UpDownCounter<int> upDown = meter.CreateUpDownCounter<int>("edge_test_active");
        Histogram<double> histogram = meter.CreateHistogram<double>("edge.test.latency");
        Gauge<double> gauge = meter.CreateGauge<double>("edge.test.temperature");
        int observed = 41;
        meter.CreateObservableGauge("edge.test.queue", () => new Measurement<int>(Interlocked.Increment(ref observed), new KeyValuePair<string, object?>("queue", "a")));
        meter.CreateObservableCounter("edge.test.bytes", () => 1000L);

        counter.Add(2, new KeyValuePair<string, object?>("output", "telemetry"), new KeyValuePair<string, object?>("code", 200));
        counter.Add(3, new KeyValuePair<string, object?>("code", 200), new KeyValuePair<string, object?>("output", "telemetry"));
        counter.Add(1, new KeyValuePair<string, object?>("output", "say \"hi\"\n"));
        upDown.Add(5);
        upDown.Add(-2);
        histogram.Record(0.5);
        histogram.Record(3);
        histogram.Record(10);
        gauge.Record(20.5);
        gauge.Record(21.25);

        string text = exporter.Collect();

        Assert.Contains("# HELP edge_test_requests Requests handled.\n# TYPE edge_test_requests counter\n", text, StringComparison.Ordinal);
        Assert.Contains("edge_test_requests{code=\"200\",output=\"telemetry\"} 5\n", text, StringComparison.Ordinal);
        Assert.Contains("edge_test_requests{output=\"say \\\"hi\\\"\\n\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE edge_test_active gauge\nedge_test_active 3\n", text, StringComparison.Ordinal);
        Assert.Contains(
            "# TYPE edge_test_latency histogram\n" +
            "edge_test_latency_bucket{le=\"1\"} 1\n" +
            "edge_test_latency_bucket{le=\"5\"} 2\n" +
            "edge_test_latency_bucket{le=\"+Inf\"} 3\n" +
            "edge_test_latency_sum 13.5\n" +
            "edge_test_latency_count 3\n", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE edge_test_temperature gauge\nedge_test_temperature 21.25\n", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE edge_test_queue gauge\nedge_test_queue{queue=\"a\"} 42\n", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE edge_test_bytes counter\nedge_test_bytes 1000\n", text, StringComparison.Ordinal);

        // Observable instruments are observed on every scrape; cumulative counters are not summed across scrapes.
        string second = exporter.Collect();
        Assert.Contains("edge_test_queue{queue=\"a\"} 43\n", second, StringComparison.Ordinal);
        Assert.Contains("edge_test_bytes 1000\n", second, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("edge.module.messages", "edge_module_messages")]
    [InlineData("edge-x/y z", "edge_x_y_z")]
    [InlineData("9lives", "_9lives")]
    [InlineData("ok:name_1", "ok:name_1")]
    public void SanitizeName_ConvertsToPrometheusNames(string name, string expected)
        => Assert.Equal(expected, PrometheusExporter.SanitizeName(name));

    [Fact]
    public void Collect_IgnoresMetersNotListed()
    {
        string listed = "Test.Listed." + Guid.NewGuid().ToString("N");
        using var exporter = new PrometheusExporter([listed]);
        using var other = new Meter("Test.Other." + Guid.NewGuid().ToString("N"));
        other.CreateCounter<long>("edge.other").Add(1);
        Assert.DoesNotContain("edge_other", exporter.Collect(), StringComparison.Ordinal);
    }
}
