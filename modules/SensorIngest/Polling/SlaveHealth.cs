namespace SensorIngest.Polling;

/// <summary>A slave's health as reported in the twin (reported property <c>slaves.&lt;name&gt;</c>).</summary>
public sealed record SlaveHealth(
    string Name,
    bool Connected,
    string? LastError,
    DateTimeOffset? LastErrorAt,
    double PollLatencyMs,
    long ErrorCount,
    long PollCount,
    long MissedSlots);
