using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace EdgeKit.Metrics;

/// <summary>
/// Exports <see cref="System.Diagnostics.Metrics"/> instruments in the Prometheus text format (version 0.0.4)
/// through a <see cref="MeterListener"/>: counters (TYPE counter), up-down counters and gauges (TYPE gauge),
/// observable instruments (observed at scrape time) and histograms (cumulative buckets, _sum, _count).
/// Instrument names are sanitised (<c>edge.x.y</c> → <c>edge_x_y</c>), tags become labels.
/// </summary>
public sealed class PrometheusExporter : IDisposable
{
    /// <summary>The content type of <see cref="Collect"/>'s output.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private static readonly double[] s_defaultBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly MeterListener _listener;
    private readonly Func<Meter, bool> _meterFilter;
    private readonly double[] _buckets;
    private readonly Dictionary<Instrument, InstrumentState> _states = [];
    private readonly Lock _collectLock = new();

    /// <summary>Creates an exporter for the meters whose names are in <paramref name="meterNames"/> ("*" means every meter).</summary>
    public PrometheusExporter(IEnumerable<string> meterNames, IEnumerable<double>? histogramBuckets = null)
    {
        ArgumentNullException.ThrowIfNull(meterNames);
        var names = new HashSet<string>(meterNames, StringComparer.Ordinal);
        _meterFilter = names.Contains("*") ? _ => true : m => names.Contains(m.Name);
        _buckets = (histogramBuckets ?? s_defaultBuckets).Order().ToArray();
        _listener = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (_meterFilter(instrument.Meter))
                {
                    var state = new InstrumentState(instrument, _buckets);
                    lock (_states)
                    {
                        _states[instrument] = state;
                    }

                    listener.EnableMeasurementEvents(instrument, state);
                }
            },
            MeasurementsCompleted = (instrument, _) =>
            {
                lock (_states)
                {
                    _states.Remove(instrument);
                }
            },
        };
        _listener.SetMeasurementEventCallback<long>((i, v, tags, state) => Record(state, v, tags));
        _listener.SetMeasurementEventCallback<int>((i, v, tags, state) => Record(state, v, tags));
        _listener.SetMeasurementEventCallback<short>((i, v, tags, state) => Record(state, v, tags));
        _listener.SetMeasurementEventCallback<byte>((i, v, tags, state) => Record(state, v, tags));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, state) => Record(state, v, tags));
        _listener.SetMeasurementEventCallback<float>((i, v, tags, state) => Record(state, v, tags));
        _listener.SetMeasurementEventCallback<decimal>((i, v, tags, state) => Record(state, (double)v, tags));
        _listener.Start();
    }

    /// <summary>Converts an instrument name to a Prometheus metric name (<c>[a-zA-Z_:][a-zA-Z0-9_:]*</c>).</summary>
    public static string SanitizeName(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var builder = new StringBuilder(name.Length + 1);
        if (char.IsAsciiDigit(name[0]))
        {
            builder.Append('_');
        }

        foreach (char c in name)
        {
            builder.Append(char.IsAsciiLetterOrDigit(c) || c == '_' || c == ':' ? c : '_');
        }

        return builder.ToString();
    }

    /// <summary>Observes the observable instruments and writes every metric in the Prometheus text format.</summary>
    public string Collect()
    {
        lock (_collectLock)
        {
            InstrumentState[] states;
            lock (_states)
            {
                states = [.. _states.Values];
            }

            foreach (InstrumentState state in states.Where(s => s.Instrument.IsObservable))
            {
                state.ResetObserved();
            }

            _listener.RecordObservableInstruments();
            var output = new StringBuilder();
            foreach (InstrumentState state in states.OrderBy(s => s.Name, StringComparer.Ordinal))
            {
                state.Write(output);
            }

            return output.ToString();
        }
    }

    /// <inheritdoc />
    public void Dispose() => _listener.Dispose();

    private static void Record(object? state, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (state is InstrumentState instrumentState)
        {
            instrumentState.Record(value, tags);
        }
    }

    private enum Kind
    {
        Counter,
        Gauge,
        SumGauge,
        Histogram,
    }

    private sealed class InstrumentState
    {
        private readonly Kind _kind;
        private readonly double[] _buckets;
        private readonly Dictionary<string, Series> _series = new(StringComparer.Ordinal);

        public InstrumentState(Instrument instrument, double[] buckets)
        {
            Instrument = instrument;
            Name = SanitizeName(instrument.Name);
            _buckets = buckets;
            string type = instrument.GetType().Name;
            _kind = type switch
            {
                _ when type.StartsWith("Histogram", StringComparison.Ordinal) => Kind.Histogram,
                _ when type.StartsWith("ObservableCounter", StringComparison.Ordinal) => Kind.Counter,
                _ when type.StartsWith("ObservableUpDownCounter", StringComparison.Ordinal) => Kind.Gauge,
                _ when type.StartsWith("ObservableGauge", StringComparison.Ordinal) => Kind.Gauge,
                _ when type.StartsWith("Gauge", StringComparison.Ordinal) => Kind.Gauge,
                _ when type.StartsWith("UpDownCounter", StringComparison.Ordinal) => Kind.SumGauge,
                _ => Kind.Counter,
            };
        }

        public Instrument Instrument { get; }

        public string Name { get; }

        public void ResetObserved()
        {
            lock (_series)
            {
                _series.Clear();
            }
        }

        public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            string labels = tags.IsEmpty ? string.Empty : FormatLabels(tags);
            lock (_series)
            {
                if (!_series.TryGetValue(labels, out Series? series))
                {
                    series = new Series(_kind == Kind.Histogram ? new long[_buckets.Length] : null);
                    _series[labels] = series;
                }

                switch (_kind)
                {
                    case Kind.Histogram:
                        series.Count++;
                        series.Sum += value;
                        int index = Array.BinarySearch(_buckets, value);
                        for (int b = index >= 0 ? index : ~index; b < _buckets.Length; b++)
                        {
                            series.Buckets![b]++;
                        }

                        break;
                    case Kind.Counter when !Instrument.IsObservable:
                    case Kind.SumGauge:
                        series.Value += value;
                        break;
                    default:
                        // Gauges and observable instruments report their current (cumulative) value.
                        series.Value = value;
                        break;
                }
            }
        }

        public void Write(StringBuilder output)
        {
            lock (_series)
            {
                if (_series.Count == 0)
                {
                    return;
                }

                if (!string.IsNullOrEmpty(Instrument.Description))
                {
                    output.Append("# HELP ").Append(Name).Append(' ').Append(EscapeHelp(Instrument.Description)).Append('\n');
                }

                string type = _kind switch
                {
                    Kind.Counter => "counter",
                    Kind.Histogram => "histogram",
                    _ => "gauge",
                };
                output.Append("# TYPE ").Append(Name).Append(' ').Append(type).Append('\n');
                foreach ((string labels, Series series) in _series.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    if (_kind != Kind.Histogram)
                    {
                        WriteSample(output, Name, labels, null, series.Value);
                        continue;
                    }

                    for (int b = 0; b < _buckets.Length; b++)
                    {
                        WriteSample(output, Name + "_bucket", labels, FormatDouble(_buckets[b]), series.Buckets![b]);
                    }

                    WriteSample(output, Name + "_bucket", labels, "+Inf", series.Count);
                    WriteSample(output, Name + "_sum", labels, null, series.Sum);
                    WriteSample(output, Name + "_count", labels, null, series.Count);
                }
            }
        }

        private static void WriteSample(StringBuilder output, string name, string labels, string? le, double value)
        {
            output.Append(name);
            if (labels.Length > 0 || le is not null)
            {
                output.Append('{').Append(labels);
                if (le is not null)
                {
                    output.Append(labels.Length > 0 ? "," : string.Empty).Append("le=\"").Append(le).Append('"');
                }

                output.Append('}');
            }

            output.Append(' ').Append(FormatDouble(value)).Append('\n');
        }

        private static string FormatLabels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var pairs = new KeyValuePair<string, object?>[tags.Length];
            tags.CopyTo(pairs);
            Array.Sort(pairs, (a, b) => string.CompareOrdinal(a.Key, b.Key));
            var builder = new StringBuilder();
            foreach (KeyValuePair<string, object?> tag in pairs)
            {
                if (builder.Length > 0)
                {
                    builder.Append(',');
                }

                builder.Append(SanitizeName(tag.Key)).Append("=\"").Append(EscapeLabel(Convert.ToString(tag.Value, CultureInfo.InvariantCulture) ?? string.Empty)).Append('"');
            }

            return builder.ToString();
        }

        private static string EscapeLabel(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

        private static string EscapeHelp(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

        private static string FormatDouble(double value) => value switch
        {
            double.PositiveInfinity => "+Inf",
            double.NegativeInfinity => "-Inf",
            double.NaN => "NaN",
            _ => value.ToString("R", CultureInfo.InvariantCulture),
        };
    }

    private sealed class Series(long[]? buckets)
    {
        public double Value;
        public double Sum;
        public long Count;
        public long[]? Buckets = buckets;
    }
}
