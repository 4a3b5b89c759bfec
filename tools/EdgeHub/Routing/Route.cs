namespace EdgeHub.Routing;

/// <summary>A compiled route: <c>FROM source [WHERE condition] INTO sink</c> plus its manifest settings.</summary>
public sealed class Route
{
    public const int HighestPriority = 0;
    public const int LowestPriority = 9;

    public Route(string name, string text, RouteSource source, CompiledCondition? condition, RouteSink sink, int priority = HighestPriority, int timeToLiveSecs = 0)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(sink);
        ArgumentOutOfRangeException.ThrowIfLessThan(priority, HighestPriority);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(priority, LowestPriority);
        ArgumentOutOfRangeException.ThrowIfLessThan(timeToLiveSecs, -1);
        Name = name;
        Text = text;
        Source = source;
        Condition = condition;
        Sink = sink;
        Priority = priority;
        TimeToLiveSecs = timeToLiveSecs;
    }

    public string Name { get; }

    /// <summary>The route as written.</summary>
    public string Text { get; }

    public RouteSource Source { get; }

    /// <summary>The WHERE clause; null when the route has none (always matches).</summary>
    public CompiledCondition? Condition { get; }

    public RouteSink Sink { get; }

    /// <summary>0 (highest) to 9 (lowest), as in edgeHub schema 1.1.</summary>
    public int Priority { get; }

    /// <summary>Seconds a message routed here may wait in the store; -1 or 0 means the store's default.</summary>
    public int TimeToLiveSecs { get; }

    public override string ToString() => $"{Name}: {Text}";
}
