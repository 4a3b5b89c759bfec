using System.Globalization;

namespace EdgeHub.Routing.Conditions;

internal enum BuiltinId : byte
{
    Abs,
    Exp,
    Power,
    Square,
    Ceiling,
    Floor,
    Sign,
    Sqrt,
    AsNumber,
    IsBool,
    IsDefined,
    IsNull,
    IsNumber,
    IsString,
    Concat,
    Length,
    Lower,
    Upper,
    Substring,
    IndexOf,
    StartsWith,
    EndsWith,
    Contains,
}

/// <summary>
/// A built-in function: name (case-insensitive), arity, the argument types it accepts (Any = every type; the last entry
/// repeats for variadic functions) and the result type.
/// </summary>
internal sealed record BuiltinSignature(string Name, BuiltinId Id, int MinArgs, int MaxArgs, StaticType[] ArgTypes, StaticType Result)
{
    public StaticType ArgType(int index) => ArgTypes[Math.Min(index, ArgTypes.Length - 1)];
}

/// <summary>The built-ins of edgeHub's route compiler (Microsoft.Azure.Devices.Routing.Core ConditionVisitor), no more, no fewer.</summary>
internal static class Builtins
{
    private static readonly StaticType[] OneNumber = [StaticType.Number];
    private static readonly StaticType[] TwoNumbers = [StaticType.Number, StaticType.Number];
    private static readonly StaticType[] OneAny = [StaticType.Any];
    private static readonly StaticType[] OneString = [StaticType.String];
    private static readonly StaticType[] TwoStrings = [StaticType.String, StaticType.String];

    private static readonly Dictionary<string, BuiltinSignature> ByName = Create();

    /// <summary>IoT Hub functions that edgeHub does not implement: rejected with a clear message instead of "unknown function".</summary>
    private static readonly HashSet<string> IotHubOnly = new(StringComparer.OrdinalIgnoreCase)
    {
        "is_array", "is_object", "is_primitive", "twin_change_includes", "trim", "ltrim", "rtrim",
    };

    public static string SupportedNames { get; } = string.Join(", ", ByName.Keys.Order(StringComparer.Ordinal));

    public static bool TryGet(string name, out BuiltinSignature signature) => ByName.TryGetValue(name, out signature!);

    public static bool IsIotHubOnly(string name) => IotHubOnly.Contains(name);

    private static Dictionary<string, BuiltinSignature> Create()
    {
        var list = new BuiltinSignature[]
        {
            new("abs", BuiltinId.Abs, 1, 1, OneNumber, StaticType.Number),
            new("exp", BuiltinId.Exp, 1, 1, OneNumber, StaticType.Number),
            new("power", BuiltinId.Power, 2, 2, TwoNumbers, StaticType.Number),
            new("square", BuiltinId.Square, 1, 1, OneNumber, StaticType.Number),
            new("ceiling", BuiltinId.Ceiling, 1, 1, OneNumber, StaticType.Number),
            new("floor", BuiltinId.Floor, 1, 1, OneNumber, StaticType.Number),
            new("sign", BuiltinId.Sign, 1, 1, OneNumber, StaticType.Number),
            new("sqrt", BuiltinId.Sqrt, 1, 1, OneNumber, StaticType.Number),
            new("as_number", BuiltinId.AsNumber, 1, 1, OneAny, StaticType.Number),
            new("is_bool", BuiltinId.IsBool, 1, 1, OneAny, StaticType.Bool),
            new("is_defined", BuiltinId.IsDefined, 1, 1, OneAny, StaticType.Bool),
            new("is_null", BuiltinId.IsNull, 1, 1, OneAny, StaticType.Bool),
            new("is_number", BuiltinId.IsNumber, 1, 1, OneAny, StaticType.Bool),
            new("is_string", BuiltinId.IsString, 1, 1, OneAny, StaticType.Bool),
            new("concat", BuiltinId.Concat, 2, int.MaxValue, OneString, StaticType.String),
            new("length", BuiltinId.Length, 1, 1, OneString, StaticType.Number),
            new("lower", BuiltinId.Lower, 1, 1, OneString, StaticType.String),
            new("upper", BuiltinId.Upper, 1, 1, OneString, StaticType.String),
            new("substring", BuiltinId.Substring, 2, 3, [StaticType.String, StaticType.Number, StaticType.Number], StaticType.String),
            new("index_of", BuiltinId.IndexOf, 2, 2, TwoStrings, StaticType.Number),
            new("starts_with", BuiltinId.StartsWith, 2, 2, TwoStrings, StaticType.Bool),
            new("ends_with", BuiltinId.EndsWith, 2, 2, TwoStrings, StaticType.Bool),
            new("contains", BuiltinId.Contains, 2, 2, TwoStrings, StaticType.Bool),
        };
        var map = new Dictionary<string, BuiltinSignature>(StringComparer.OrdinalIgnoreCase);
        foreach (BuiltinSignature signature in list)
        {
            map.Add(signature.Name, signature);
        }

        return map;
    }
}

/// <summary>A call of a built-in. Arguments of the wrong run-time type make the result undefined.</summary>
internal sealed class FunctionNode(BuiltinSignature signature, ConditionNode[] args, int depth) : ConditionNode(signature.Result, depth)
{
    private readonly BuiltinId id = signature.Id;

    public override QueryValue Evaluate(ref EvaluationContext context)
    {
        QueryValue a = args[0].Evaluate(ref context);
        switch (id)
        {
            case BuiltinId.IsDefined: return QueryValue.FromBool(a.IsDefined);
            case BuiltinId.IsNull: return QueryValue.FromBool(a.Kind == QueryValueKind.Null);
            case BuiltinId.IsBool: return QueryValue.FromBool(a.Kind == QueryValueKind.Bool);
            case BuiltinId.IsNumber: return QueryValue.FromBool(a.Kind == QueryValueKind.Number);
            case BuiltinId.IsString: return QueryValue.FromBool(a.Kind == QueryValueKind.String);
            case BuiltinId.AsNumber: return AsNumber(a);
            case BuiltinId.Concat: return Concat(a, ref context);
            default: break;
        }

        if (id <= BuiltinId.Sqrt)
        {
            return a.Kind != QueryValueKind.Number ? QueryValue.Undefined : Math(a.Number, ref context);
        }

        if (a.Kind != QueryValueKind.String)
        {
            return QueryValue.Undefined;
        }

        string s = a.String;
        switch (id)
        {
            case BuiltinId.Length: return QueryValue.FromNumber(s.Length);
            case BuiltinId.Lower: return QueryValue.FromString(s.ToLowerInvariant());
            case BuiltinId.Upper: return QueryValue.FromString(s.ToUpperInvariant());
            case BuiltinId.Substring: return Substring(s, ref context);
            default: break;
        }

        QueryValue b = args[1].Evaluate(ref context);
        if (b.Kind != QueryValueKind.String)
        {
            return QueryValue.Undefined;
        }

        return id switch
        {
            BuiltinId.IndexOf => QueryValue.FromNumber(s.IndexOf(b.String, StringComparison.Ordinal)),
            BuiltinId.StartsWith => QueryValue.FromBool(s.StartsWith(b.String, StringComparison.Ordinal)),
            BuiltinId.EndsWith => QueryValue.FromBool(s.EndsWith(b.String, StringComparison.Ordinal)),
            _ => QueryValue.FromBool(s.Contains(b.String, StringComparison.Ordinal)),
        };
    }

    private static QueryValue AsNumber(QueryValue a) => a.Kind switch
    {
        QueryValueKind.Number => a,
        QueryValueKind.String when double.TryParse(a.String, NumberStyles.Float, CultureInfo.InvariantCulture, out double n) => QueryValue.FromNumber(n),
        _ => QueryValue.Undefined,
    };

    private QueryValue Math(double x, ref EvaluationContext context)
    {
        switch (id)
        {
            case BuiltinId.Abs: return QueryValue.FromNumber(System.Math.Abs(x));
            case BuiltinId.Exp: return QueryValue.FromNumber(System.Math.Exp(x));
            case BuiltinId.Square: return QueryValue.FromNumber(x * x);
            case BuiltinId.Ceiling: return QueryValue.FromNumber(System.Math.Ceiling(x));
            case BuiltinId.Floor: return QueryValue.FromNumber(System.Math.Floor(x));
            case BuiltinId.Sign: return double.IsNaN(x) ? QueryValue.Undefined : QueryValue.FromNumber(x > 0 ? 1 : x < 0 ? -1 : 0);
            case BuiltinId.Sqrt: return QueryValue.FromNumber(System.Math.Sqrt(x));
            default:
                QueryValue y = args[1].Evaluate(ref context);
                return y.Kind == QueryValueKind.Number ? QueryValue.FromNumber(System.Math.Pow(x, y.Number)) : QueryValue.Undefined;
        }
    }

    private QueryValue Concat(QueryValue first, ref EvaluationContext context)
    {
        if (first.Kind != QueryValueKind.String)
        {
            return QueryValue.Undefined;
        }

        string result = first.String;
        for (int i = 1; i < args.Length; i++)
        {
            QueryValue next = args[i].Evaluate(ref context);
            if (next.Kind != QueryValueKind.String)
            {
                return QueryValue.Undefined;
            }

            result = string.Concat(result, next.String);
        }

        return QueryValue.FromString(result);
    }

    // substring(s, start[, length]): zero-based; a start or length that is negative, fractional or past the end is undefined.
    private QueryValue Substring(string s, ref EvaluationContext context)
    {
        QueryValue start = args[1].Evaluate(ref context);
        if (!TryGetIndex(start, s.Length, out int from))
        {
            return QueryValue.Undefined;
        }

        if (args.Length == 2)
        {
            return QueryValue.FromString(s[from..]);
        }

        QueryValue length = args[2].Evaluate(ref context);
        if (!TryGetIndex(length, s.Length - from, out int count))
        {
            return QueryValue.Undefined;
        }

        return QueryValue.FromString(s.Substring(from, count));
    }

    private static bool TryGetIndex(QueryValue value, int max, out int index)
    {
        index = 0;
        if (value.Kind != QueryValueKind.Number || value.Number < 0 || value.Number > max || value.Number != System.Math.Floor(value.Number))
        {
            return false;
        }

        index = (int)value.Number;
        return true;
    }
}
