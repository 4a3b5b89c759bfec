namespace EdgeHub.Tests.Storage;

/// <summary>A clock the test moves by hand (timers still run on real time, which the store only uses for its checkpoint cadence).</summary>
internal sealed class FakeTimeProvider : TimeProvider
{
    private DateTimeOffset _now;

    public FakeTimeProvider(DateTimeOffset start) => _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
