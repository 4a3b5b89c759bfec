namespace EdgeHub.Routing.Conditions;

/// <summary>The dynamic type of a value in a route condition (IoT Hub routing query language types).</summary>
internal enum QueryValueKind : byte
{
    Undefined,
    Null,
    Bool,
    Number,
    String,
}

/// <summary>
/// The compile-time type of an expression. <see cref="Any"/> is a <c>$body</c> value whose type is only known at run time;
/// a concrete type (Bool, Number, String) means "that type or undefined".
/// </summary>
internal enum StaticType : byte
{
    Any,
    Undefined,
    Null,
    Bool,
    Number,
    String,
}

/// <summary>A value produced while evaluating a condition. A struct so that evaluating typical conditions allocates nothing.</summary>
internal readonly struct QueryValue
{
    public static readonly QueryValue Undefined;
    public static readonly QueryValue Null = new(QueryValueKind.Null, 0, null);
    public static readonly QueryValue True = new(QueryValueKind.Bool, 1, null);
    public static readonly QueryValue False = new(QueryValueKind.Bool, 0, null);

    private readonly double number;
    private readonly string? text;

    private QueryValue(QueryValueKind kind, double number, string? text)
    {
        Kind = kind;
        this.number = number;
        this.text = text;
    }

    public QueryValueKind Kind { get; }

    public bool IsDefined => Kind != QueryValueKind.Undefined;

    public double Number => number;

    public bool Bool => number != 0;

    public string String => text!;

    public static QueryValue FromNumber(double value) => new(QueryValueKind.Number, value, null);

    public static QueryValue FromString(string? value) => value is null ? Undefined : new(QueryValueKind.String, 0, value);

    public static QueryValue FromBool(bool value) => value ? True : False;

    public override string ToString() => Kind switch
    {
        QueryValueKind.Undefined => "undefined",
        QueryValueKind.Null => "null",
        QueryValueKind.Bool => Bool ? "true" : "false",
        QueryValueKind.Number => number.ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => "'" + text + "'",
    };
}
