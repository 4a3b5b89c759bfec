using Microsoft.Extensions.Options;
using SensorIngest.Modbus;

namespace SensorIngest.Configuration;

/// <summary>Every range and consistency rule of <see cref="IngestConfiguration"/>; lists all problems at once.</summary>
public sealed class IngestConfigurationValidator : IValidateOptions<IngestConfiguration>
{
    public static readonly TimeSpan MinPollingInterval = TimeSpan.FromMilliseconds(10);
    public static readonly TimeSpan MaxPollingInterval = TimeSpan.FromHours(24);
    public const int MaxRetryCount = 10;

    public ValidateOptionsResult Validate(string? name, IngestConfiguration options)
    {
        ArgumentNullException.ThrowIfNull(options);
        List<string> failures = Problems(options);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    public static List<string> Problems(IngestConfiguration options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.PublishInterval < TimeSpan.Zero)
        {
            failures.Add($"publishInterval must not be negative (was {options.PublishInterval.TotalMilliseconds} ms).");
        }

        if (options.Slaves.Count == 0)
        {
            failures.Add("at least one slave is required.");
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (SlaveConfiguration slave in options.Slaves)
        {
            string s = $"slave '{slave.Name}'";
            if (string.IsNullOrWhiteSpace(slave.Name))
            {
                failures.Add("every slave needs a name.");
            }
            else if (!names.Add(slave.Name))
            {
                failures.Add($"{s}: the name is used twice.");
            }

            if (slave.SerialPort is not null)
            {
                failures.Add($"{s}: serial slaves ('{slave.SerialPort}') are not supported by the module yet; use a TCP endpoint or an RTU-over-TCP gateway.");
            }
            else if (string.IsNullOrWhiteSpace(slave.Host))
            {
                failures.Add($"{s}: endpoint host is required.");
            }

            if (slave.Port is < 1 or > 65535)
            {
                failures.Add($"{s}: port must be 1..65535 (was {slave.Port}).");
            }

            if (slave.UnitId is < 0 or > 255)
            {
                failures.Add($"{s}: unitId must be 0..255 (was {slave.UnitId}).");
            }

            if (slave.PollingInterval < MinPollingInterval || slave.PollingInterval > MaxPollingInterval)
            {
                failures.Add($"{s}: pollingInterval must be 10 ms..24 h (was {slave.PollingInterval.TotalMilliseconds} ms).");
            }

            if (slave.RetryCount is < 0 or > MaxRetryCount)
            {
                failures.Add($"{s}: retryCount must be 0..{MaxRetryCount} (was {slave.RetryCount}).");
            }

            if (slave.RetryInterval < TimeSpan.Zero || slave.RetryInterval > TimeSpan.FromSeconds(60))
            {
                failures.Add($"{s}: retryInterval must be 0..60000 ms (was {slave.RetryInterval.TotalMilliseconds} ms).");
            }

            if (slave.Timeout < TimeSpan.FromMilliseconds(10) || slave.Timeout > TimeSpan.FromSeconds(60))
            {
                failures.Add($"{s}: timeout must be 10..60000 ms (was {slave.Timeout.TotalMilliseconds} ms).");
            }

            if (slave.Points.Count == 0)
            {
                failures.Add($"{s}: at least one point is required.");
            }

            var signals = new HashSet<string>(StringComparer.Ordinal);
            foreach (PointConfiguration point in slave.Points)
            {
                string p = $"{s} point '{point.Signal}'";
                if (string.IsNullOrWhiteSpace(point.Signal))
                {
                    failures.Add($"{s}: every point needs a signal name.");
                }
                else if (!signals.Add(point.Signal))
                {
                    failures.Add($"{p}: the signal name is used twice.");
                }

                if (point.Function is < 1 or > 4)
                {
                    failures.Add($"{p}: function must be 1 (coils), 2 (discrete inputs), 3 (holding registers) or 4 (input registers) (was {point.Function}).");
                    continue;
                }

                if (point.Function is 1 or 2 && point.Type != PointType.Bool)
                {
                    failures.Add($"{p}: function {point.Function} reads bits, so type must be bool (was {point.Type}).");
                }

                if (point.Type == PointType.String)
                {
                    failures.Add($"{p}: type string is not published yet (telemetry/1 values are numbers).");
                    continue;
                }

                if (point.Address < 0 || point.Address + point.Width - 1 > ushort.MaxValue)
                {
                    failures.Add($"{p}: address must be 0..{ushort.MaxValue - point.Width + 1} for a {point.Type} (was {point.Address}).");
                }

                if (!double.IsFinite(point.Scale) || point.Scale == 0)
                {
                    failures.Add($"{p}: scale must be a finite, non-zero number (was {point.Scale}).");
                }

                if (!double.IsFinite(point.Offset))
                {
                    failures.Add($"{p}: offset must be a finite number (was {point.Offset}).");
                }
            }
        }

        return failures;
    }
}
