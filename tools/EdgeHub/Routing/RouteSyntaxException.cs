namespace EdgeHub.Routing;

/// <summary>
/// A route (or route condition) that does not parse or does not type-check.
/// <see cref="Line"/> and <see cref="Column"/> are 1-based positions in the route text (columns count UTF-16 code units).
/// </summary>
public sealed class RouteSyntaxException : Exception
{
    public RouteSyntaxException()
        : this("invalid route", 1, 1)
    {
    }

    public RouteSyntaxException(string message)
        : this(message, 1, 1)
    {
    }

    public RouteSyntaxException(string message, Exception innerException)
        : base(message, innerException)
    {
        Reason = message;
        Line = 1;
        Column = 1;
    }

    public RouteSyntaxException(string reason, int line, int column)
        : base($"{reason} (line {line}, column {column})")
    {
        Reason = reason;
        Line = line;
        Column = column;
    }

    /// <summary>What was wrong, without the position (e.g. "expected INTO but found end of route").</summary>
    public string Reason { get; }

    /// <summary>1-based line of the offending token.</summary>
    public int Line { get; }

    /// <summary>1-based column of the offending token.</summary>
    public int Column { get; }
}

/// <summary>One route of a manifest that could not be compiled. Line and Column are 0 for errors that are not about the route text (e.g. a bad priority).</summary>
public sealed record RouteError(string RouteName, int Line, int Column, string Message);
