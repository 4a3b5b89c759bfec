using System.Text.Json;

namespace EdgeHub.Routing.Conditions;

/// <summary>
/// A compiled condition is a tree of these nodes, built once per route. Evaluation walks the tree with a
/// <see cref="QueryValue"/> struct result, so conditions over properties, numbers and <c>$body</c> numbers allocate nothing.
/// </summary>
internal abstract class ConditionNode
{
    protected ConditionNode(StaticType type, int depth)
    {
        Type = type;
        Depth = depth;
    }

    public StaticType Type { get; }

    /// <summary>Height of the subtree; the parser rejects trees taller than <see cref="RouteParser.MaxNestingDepth"/>.</summary>
    public int Depth { get; }

    public abstract QueryValue Evaluate(ref EvaluationContext context);
}

internal sealed class ConstantNode(QueryValue value, StaticType type) : ConditionNode(type, 1)
{
    public QueryValue Value { get; } = value;

    public override QueryValue Evaluate(ref EvaluationContext context) => Value;
}

/// <summary>An application property by bare name. Application property values are always strings.</summary>
internal sealed class AppPropertyNode(string name) : ConditionNode(StaticType.String, 1)
{
    public override QueryValue Evaluate(ref EvaluationContext context) =>
        context.Message.Properties.TryGetValue(name, out string? value) ? QueryValue.FromString(value) : QueryValue.Undefined;
}

/// <summary>
/// <c>$name</c>: as in edgeHub, an application property literally named "$name" wins over the system property;
/// <c>{$name}</c> (<paramref name="appPropertyName"/> null) reads the system property only.
/// </summary>
internal sealed class SystemPropertyNode(string systemName, string? appPropertyName) : ConditionNode(StaticType.String, 1)
{
    public override QueryValue Evaluate(ref EvaluationContext context)
    {
        if (appPropertyName is not null && context.Message.Properties.TryGetValue(appPropertyName, out string? app))
        {
            return QueryValue.FromString(app);
        }

        return context.Message.SystemProperties.TryGetValue(systemName, out string? value) ? QueryValue.FromString(value) : QueryValue.Undefined;
    }
}

internal sealed class BodyPathNode(string? appPropertyName, BodyPathSegment[] path) : ConditionNode(StaticType.Any, 1)
{
    /// <summary>The path as written and its position in the route text, for <see cref="CompiledCondition.Diagnose"/>.</summary>
    public string Where { get; init; } = "$body";

    public override QueryValue Evaluate(ref EvaluationContext context)
    {
        // edgeHub: an application property literally named "$body.x" shadows the body query.
        if (appPropertyName is not null && context.Message.Properties.Count != 0 && context.Message.Properties.TryGetValue(appPropertyName, out string? app))
        {
            return QueryValue.FromString(app);
        }

        if (!context.TryGetJsonBody(out ReadOnlySpan<byte> json))
        {
            return QueryValue.Undefined;
        }

        try
        {
            return BodyPath.Read(json, path);
        }
        catch (JsonException ex)
        {
            context.HadError = true;
            context.ErrorDetail ??= $"{Where}: the body is not valid JSON: {ex.Message}";
            return QueryValue.Undefined;
        }
    }
}

internal sealed class NotNode(ConditionNode operand) : ConditionNode(StaticType.Bool, operand.Depth + 1)
{
    public override QueryValue Evaluate(ref EvaluationContext context)
    {
        QueryValue value = operand.Evaluate(ref context);
        return value.Kind == QueryValueKind.Bool ? QueryValue.FromBool(!value.Bool) : QueryValue.Undefined;
    }
}

internal sealed class NegateNode(ConditionNode operand) : ConditionNode(StaticType.Number, operand.Depth + 1)
{
    public override QueryValue Evaluate(ref EvaluationContext context)
    {
        QueryValue value = operand.Evaluate(ref context);
        return value.Kind == QueryValueKind.Number ? QueryValue.FromNumber(-value.Number) : QueryValue.Undefined;
    }
}

/// <summary>
/// n-ary AND with three-valued logic (edgeHub's Bool): false wins over undefined, undefined over true.
/// Evaluation stops at the first false.
/// </summary>
internal sealed class AndNode(ConditionNode[] operands, int depth) : ConditionNode(StaticType.Bool, depth)
{
    public override QueryValue Evaluate(ref EvaluationContext context)
    {
        bool undefined = false;
        for (int i = 0; i < operands.Length; i++)
        {
            QueryValue value = operands[i].Evaluate(ref context);
            if (value.Kind != QueryValueKind.Bool)
            {
                undefined = true;
            }
            else if (!value.Bool)
            {
                return QueryValue.False;
            }
        }

        return undefined ? QueryValue.Undefined : QueryValue.True;
    }
}

/// <summary>n-ary OR: true wins over undefined, undefined over false. Evaluation stops at the first true.</summary>
internal sealed class OrNode(ConditionNode[] operands, int depth) : ConditionNode(StaticType.Bool, depth)
{
    public override QueryValue Evaluate(ref EvaluationContext context)
    {
        bool undefined = false;
        for (int i = 0; i < operands.Length; i++)
        {
            QueryValue value = operands[i].Evaluate(ref context);
            if (value.Kind != QueryValueKind.Bool)
            {
                undefined = true;
            }
            else if (value.Bool)
            {
                return QueryValue.True;
            }
        }

        return undefined ? QueryValue.Undefined : QueryValue.False;
    }
}

/// <summary><c>a ?? b</c>: a unless a is undefined (null is a value).</summary>
internal sealed class CoalesceNode(ConditionNode left, ConditionNode right, StaticType type)
    : ConditionNode(type, Math.Max(left.Depth, right.Depth) + 1)
{
    public override QueryValue Evaluate(ref EvaluationContext context)
    {
        QueryValue value = left.Evaluate(ref context);
        return value.IsDefined ? value : right.Evaluate(ref context);
    }
}

internal enum ArithmeticOp : byte
{
    Add,
    Subtract,
    Multiply,
    Divide,
    Modulo,
}

/// <summary>+ - * / % on numbers (IEEE doubles, as edgeHub); any other operand type gives undefined.</summary>
internal sealed class ArithmeticNode(ArithmeticOp op, ConditionNode left, ConditionNode right)
    : ConditionNode(StaticType.Number, Math.Max(left.Depth, right.Depth) + 1)
{
    public override QueryValue Evaluate(ref EvaluationContext context)
    {
        QueryValue a = left.Evaluate(ref context);
        if (a.Kind != QueryValueKind.Number)
        {
            return QueryValue.Undefined;
        }

        QueryValue b = right.Evaluate(ref context);
        if (b.Kind != QueryValueKind.Number)
        {
            return QueryValue.Undefined;
        }

        double x = a.Number, y = b.Number;
        return QueryValue.FromNumber(op switch
        {
            ArithmeticOp.Add => x + y,
            ArithmeticOp.Subtract => x - y,
            ArithmeticOp.Multiply => x * y,
            ArithmeticOp.Divide => x / y,
            _ => x % y,
        });
    }
}

/// <summary><c>a || b</c>: string concatenation.</summary>
internal sealed class ConcatOperatorNode(ConditionNode left, ConditionNode right)
    : ConditionNode(StaticType.String, Math.Max(left.Depth, right.Depth) + 1)
{
    public override QueryValue Evaluate(ref EvaluationContext context)
    {
        QueryValue a = left.Evaluate(ref context);
        QueryValue b = right.Evaluate(ref context);
        return a.Kind == QueryValueKind.String && b.Kind == QueryValueKind.String ? QueryValue.FromString(a.String + b.String) : QueryValue.Undefined;
    }
}

internal enum CompareOp : byte
{
    Equal,
    NotEqual,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
}

/// <summary>
/// Comparisons. Undefined on either side gives undefined. Values of different types are not coerced: the result is undefined.
/// null equals only null (= and != are defined against null, ordering is not). Strings compare ordinally (case-sensitive).
/// </summary>
internal sealed class CompareNode(CompareOp op, ConditionNode left, ConditionNode right)
    : ConditionNode(StaticType.Bool, Math.Max(left.Depth, right.Depth) + 1)
{
    public override QueryValue Evaluate(ref EvaluationContext context)
    {
        QueryValue a = left.Evaluate(ref context);
        if (!a.IsDefined)
        {
            return QueryValue.Undefined;
        }

        QueryValue b = right.Evaluate(ref context);
        return Compare(op, a, b);
    }

    public static QueryValue Compare(CompareOp op, QueryValue a, QueryValue b)
    {
        if (!a.IsDefined || !b.IsDefined)
        {
            return QueryValue.Undefined;
        }

        bool equality = op is CompareOp.Equal or CompareOp.NotEqual;
        if (a.Kind == QueryValueKind.Null || b.Kind == QueryValueKind.Null)
        {
            if (!equality)
            {
                return QueryValue.Undefined;
            }

            bool same = a.Kind == b.Kind;
            return QueryValue.FromBool(op == CompareOp.Equal ? same : !same);
        }

        if (a.Kind != b.Kind)
        {
            return QueryValue.Undefined;
        }

        int order;
        switch (a.Kind)
        {
            case QueryValueKind.Number:
                double x = a.Number, y = b.Number;
                if (double.IsNaN(x) || double.IsNaN(y))
                {
                    return op == CompareOp.NotEqual ? QueryValue.True : QueryValue.False;
                }

                order = x < y ? -1 : x > y ? 1 : 0;
                break;
            case QueryValueKind.String:
                order = string.CompareOrdinal(a.String, b.String);
                break;
            default:
                if (!equality)
                {
                    return QueryValue.Undefined;
                }

                order = a.Bool == b.Bool ? 0 : 1;
                break;
        }

        return QueryValue.FromBool(op switch
        {
            CompareOp.Equal => order == 0,
            CompareOp.NotEqual => order != 0,
            CompareOp.Less => order < 0,
            CompareOp.LessOrEqual => order <= 0,
            CompareOp.Greater => order > 0,
            _ => order >= 0,
        });
    }
}
