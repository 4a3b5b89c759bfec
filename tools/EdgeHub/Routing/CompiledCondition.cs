using EdgeHub.Messaging;
using EdgeHub.Routing.Conditions;

namespace EdgeHub.Routing;

/// <summary>The result of evaluating a condition against one message.</summary>
public enum ConditionOutcome
{
    /// <summary>The condition is true: the route matches.</summary>
    True,

    /// <summary>The condition is false.</summary>
    False,

    /// <summary>The condition is undefined (e.g. it reads a property the message does not have).</summary>
    Undefined,

    /// <summary>The condition produced a value that is not a boolean (only possible with <c>$body</c> values).</summary>
    NotBoolean,

    /// <summary>A value could not be computed (e.g. the body claims to be JSON but is not) and the result is not true.</summary>
    Error,
}

/// <summary>The explained result of <see cref="CompiledCondition.Diagnose"/>.</summary>
/// <param name="Outcome">True, False, Undefined, NotBoolean or Error, as <see cref="CompiledCondition.EvaluateOutcome"/>.</param>
/// <param name="Value">The condition's value as text: <c>true</c>, <c>false</c>, <c>undefined</c>, <c>null</c>, a number or a quoted string.</param>
/// <param name="Error">For <see cref="ConditionOutcome.Error"/>: what failed and where (e.g. the <c>$body</c> path and its line and column).</param>
public sealed record ConditionDiagnosis(ConditionOutcome Outcome, string Value, string? Error);

/// <summary>
/// A route condition compiled once into a tree of evaluators. Thread-safe: one instance serves concurrent evaluations.
/// </summary>
public sealed class CompiledCondition
{
    private readonly ConditionNode root;
    private long undefinedCount;
    private long errorCount;

    internal CompiledCondition(string text, ConditionNode root)
    {
        Text = text;
        this.root = root;
    }

    /// <summary>The condition as written (without WHERE).</summary>
    public string Text { get; }

    /// <summary>Evaluations whose result was undefined or not a boolean (counted by <see cref="Evaluate(HubMessage)"/>).</summary>
    public long UndefinedCount => Interlocked.Read(ref undefinedCount);

    /// <summary>Evaluations that failed (e.g. malformed JSON body) and did not match.</summary>
    public long ErrorCount => Interlocked.Read(ref errorCount);

    /// <summary>Compiles a condition on its own (positions in errors are relative to <paramref name="condition"/>).</summary>
    public static CompiledCondition Parse(string condition) => RouteParser.ParseCondition(condition);

    /// <summary>True only when the condition evaluates to true. Never throws: undefined, non-boolean and failed evaluations are false and counted.</summary>
    public bool Evaluate(HubMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var context = new EvaluationContext(message);
        return Evaluate(ref context);
    }

    /// <summary>Evaluates without counting, telling undefined and errors apart from false (diagnostics, tests, <c>edgectl validate</c>).</summary>
    public ConditionOutcome EvaluateOutcome(HubMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var context = new EvaluationContext(message);
        return Outcome(ref context);
    }

    /// <summary>
    /// Evaluates without counting and explains the result (<c>edgectl route test</c>): the outcome, the condition's value
    /// as text (<c>true</c>, <c>false</c>, <c>undefined</c>, <c>null</c>, a number or a quoted string) and, for
    /// <see cref="ConditionOutcome.Error"/>, what failed and where in the route text.
    /// </summary>
    public ConditionDiagnosis Diagnose(HubMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var context = new EvaluationContext(message);
        context.HadError = false;
        QueryValue value;
        try
        {
            value = root.Evaluate(ref context);
        }
        catch (Exception ex)
        {
            return new ConditionDiagnosis(ConditionOutcome.Error, "undefined", $"evaluation failed: {ex.Message}");
        }

        ConditionOutcome outcome = value.Kind == QueryValueKind.Bool && value.Bool ? ConditionOutcome.True
            : context.HadError ? ConditionOutcome.Error
            : value.Kind switch
            {
                QueryValueKind.Bool => ConditionOutcome.False,
                QueryValueKind.Undefined => ConditionOutcome.Undefined,
                _ => ConditionOutcome.NotBoolean,
            };
        string? error = outcome == ConditionOutcome.Error ? context.ErrorDetail ?? "a value could not be computed" : null;
        return new ConditionDiagnosis(outcome, value.ToString(), error);
    }

    internal bool Evaluate(ref EvaluationContext context)
    {
        ConditionOutcome outcome = Outcome(ref context);
        switch (outcome)
        {
            case ConditionOutcome.True:
                return true;
            case ConditionOutcome.False:
                return false;
            case ConditionOutcome.Error:
                Interlocked.Increment(ref errorCount);
                return false;
            default:
                Interlocked.Increment(ref undefinedCount);
                return false;
        }
    }

    internal ConditionOutcome Outcome(ref EvaluationContext context)
    {
        context.HadError = false;
        QueryValue value;
        try
        {
            value = root.Evaluate(ref context);
        }
        catch (Exception)
        {
            // Defensive: evaluators are written not to throw; a route must never take the hub down.
            return ConditionOutcome.Error;
        }

        if (value.Kind == QueryValueKind.Bool && value.Bool)
        {
            return ConditionOutcome.True;
        }

        if (context.HadError)
        {
            return ConditionOutcome.Error;
        }

        return value.Kind switch
        {
            QueryValueKind.Bool => ConditionOutcome.False,
            QueryValueKind.Undefined => ConditionOutcome.Undefined,
            _ => ConditionOutcome.NotBoolean,
        };
    }

    public override string ToString() => Text;
}
