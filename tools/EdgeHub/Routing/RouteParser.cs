using System.Globalization;
using EdgeHub.Messaging;
using EdgeHub.Routing.Conditions;
using EdgeKit.Protocol;

namespace EdgeHub.Routing;

/// <summary>
/// Parses edgeHub routes (<c>[SELECT *] FROM source [WHERE condition] INTO sink</c>) and compiles their conditions.
/// A hand-written recursive-descent parser over edgeHub's grammar (Route.g4, Condition.g4, GrammarLexer.g4); see docs/routing.md.
/// </summary>
public static class RouteParser
{
    /// <summary>Deepest nesting of parentheses, unary operators, function calls and operator chains a condition may have.</summary>
    public const int MaxNestingDepth = 128;

    /// <summary>Longest route text accepted, in characters.</summary>
    public const int MaxRouteLength = 32 * 1024;

    /// <summary>Parses a route with the default priority (0) and time to live (store default).</summary>
    public static Route Parse(string name, string text) => Parse(name, text, Route.HighestPriority, 0);

    /// <summary>Parses a route. Throws <see cref="RouteSyntaxException"/> with the 1-based line and column of the first problem.</summary>
    public static Route Parse(string name, string text, int priority, int timeToLiveSecs)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(text);
        var parser = new Parser(text);
        return parser.ParseRoute(name, priority, timeToLiveSecs);
    }

    /// <summary>Compiles a condition on its own (the part after WHERE).</summary>
    public static CompiledCondition ParseCondition(string condition)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var parser = new Parser(condition);
        return parser.ParseStandaloneCondition();
    }

    private sealed class Parser
    {
        private readonly RouteLexer lexer;
        private Token current;
        private int nesting;

        public Parser(string text)
        {
            lexer = new RouteLexer(text);
            if (text.Length > MaxRouteLength)
            {
                throw new RouteSyntaxException($"route is too long ({text.Length} characters, limit {MaxRouteLength})", 1, 1);
            }
        }

        public Route ParseRoute(string name, int priority, int timeToLiveSecs)
        {
            Advance();
            if (current.Kind == TokenKind.Select)
            {
                Advance();
                Expect(TokenKind.Star, "'*' after SELECT");
                Advance();
            }

            if (current.Kind != TokenKind.From)
            {
                throw Unexpected(current.Kind == TokenKind.Star ? "SELECT before '*'" : "FROM");
            }

            RouteSource source = ParseSource();
            Advance();
            CompiledCondition? condition = null;
            if (current.Kind == TokenKind.Where)
            {
                int start = current.End;
                Advance();
                ConditionNode node = ParseCondition();
                Expect(TokenKind.Into, "INTO or an operator");
                condition = new CompiledCondition(lexer.Text[start..current.Start].Trim(), node);
            }
            else
            {
                Expect(TokenKind.Into, "WHERE or INTO");
            }

            Advance();
            RouteSink sink = ParseSink();
            Advance();
            Expect(TokenKind.End, "end of route");
            return new Route(name, lexer.Text, source, condition, sink, priority, timeToLiveSecs);
        }

        public CompiledCondition ParseStandaloneCondition()
        {
            Advance();
            ConditionNode node = ParseCondition();
            Expect(TokenKind.End, "an operator or end of condition");
            return new CompiledCondition(lexer.Text.Trim(), node);
        }

        private void Advance() => current = lexer.Next();

        private void Expect(TokenKind kind, string what)
        {
            if (current.Kind != kind)
            {
                throw Unexpected(what);
            }
        }

        private RouteSyntaxException Unexpected(string expected) => lexer.Error(current.Start, $"expected {expected} but found {Describe(current)}");

        private RouteSyntaxException ErrorAt(Token token, string reason) => lexer.Error(token.Start, reason);

        private string Describe(Token token)
        {
            if (token.Kind == TokenKind.End)
            {
                return "end of route";
            }

            string text = lexer.TextOf(token);
            return text.Length > 32 ? $"'{text[..32]}...'" : $"'{text}'";
        }

        // ---- source ----------------------------------------------------------------------------------------------

        private const string KnownSources = "/*, /messages/*, /messages/modules/*, /messages/modules/{module}/*, /messages/modules/{module}/outputs/*, /messages/modules/{module}/outputs/{output} or /twinChangeNotifications";

        private RouteSource ParseSource()
        {
            // The source path is scanned by characters: '/*' here is a wildcard, not the start of a comment.
            lexer.SkipWhiteSpace(comments: false);
            string text = lexer.Text;
            int start = lexer.Position;
            if (start >= text.Length || text[start] != '/')
            {
                Advance();
                throw Unexpected("a source path starting with '/' after FROM");
            }

            var segments = new List<(string Text, int Offset)>();
            int p = start;
            while (p < text.Length && text[p] == '/')
            {
                int segmentStart = ++p;
                while (p < text.Length && RouteLexer.IsIdChar(text[p]))
                {
                    p++;
                }

                if (p == segmentStart)
                {
                    throw lexer.Error(segmentStart, "expected a path segment or '*' after '/'");
                }

                string segment = text[segmentStart..p];
                if (segment != "*" && segment.Contains('*', StringComparison.Ordinal))
                {
                    throw lexer.Error(segmentStart, "'*' is only allowed as a whole path segment");
                }

                segments.Add((segment, segmentStart));
            }

            lexer.Position = p;
            string path = text[start..p];

            // A trailing '/*' selects everything under the path before it (edgeHub matches source paths by prefix).
            for (int i = 0; i < segments.Count - 1; i++)
            {
                if (segments[i].Text == "*")
                {
                    throw lexer.Error(segments[i].Offset, "'*' is only allowed as the last path segment");
                }
            }

            int count = segments.Count;
            if (segments[count - 1].Text == "*")
            {
                count--;
            }

            bool Is(int index, string word) => string.Equals(segments[index].Text, word, StringComparison.OrdinalIgnoreCase);

            RouteSource? source = count switch
            {
                0 => new RouteSource(RouteSourceKind.All, path, null, null),
                1 when Is(0, "messages") => new RouteSource(RouteSourceKind.AllMessages, path, null, null),
                1 when Is(0, "twinChangeNotifications") => new RouteSource(RouteSourceKind.TwinChangeNotifications, path, null, null),
                2 when Is(0, "messages") && Is(1, "modules") => new RouteSource(RouteSourceKind.AllModules, path, null, null),
                3 when Is(0, "messages") && Is(1, "modules") => new RouteSource(RouteSourceKind.Module, path, segments[2].Text, null),
                4 when Is(0, "messages") && Is(1, "modules") && Is(3, "outputs") => new RouteSource(RouteSourceKind.ModuleAnyOutput, path, segments[2].Text, null),
                5 when Is(0, "messages") && Is(1, "modules") && Is(3, "outputs") => new RouteSource(RouteSourceKind.ModuleOutput, path, segments[2].Text, segments[4].Text),
                _ => null,
            };

            return source ?? throw lexer.Error(start, $"unknown route source '{path}': expected {KnownSources}");
        }

        // ---- sink ------------------------------------------------------------------------------------------------

        private RouteSink ParseSink()
        {
            if (current.Kind == TokenKind.SysProp)
            {
                string text = lexer.TextOf(current);
                if (!text.Equals(RouteSink.UpstreamEndpointId, StringComparison.OrdinalIgnoreCase))
                {
                    throw ErrorAt(current, $"unknown system endpoint '{text}': expected $upstream");
                }

                return RouteSink.Upstream;
            }

            if (current.Kind != TokenKind.Id)
            {
                throw Unexpected("a sink ($upstream or BrokeredEndpoint(\"/modules/{module}/inputs/{input}\"))");
            }

            string function = lexer.TextOf(current);
            if (!function.Equals("BrokeredEndpoint", StringComparison.OrdinalIgnoreCase))
            {
                throw ErrorAt(current, $"unknown endpoint '{function}': expected $upstream or BrokeredEndpoint(\"/modules/{{module}}/inputs/{{input}}\")");
            }

            Advance();
            Expect(TokenKind.OpenParen, "'(' after BrokeredEndpoint");
            Advance();
            Expect(TokenKind.String, "a quoted endpoint such as \"/modules/{module}/inputs/{input}\"");
            Token address = current;
            string[] parts = address.Value!.Split('/');
            if (parts.Length != 5 || parts[0].Length != 0 || parts[1] != "modules" || parts[3] != "inputs" ||
                !IsName(parts[2]) || !IsName(parts[4]))
            {
                throw ErrorAt(address, $"invalid endpoint \"{address.Value}\": expected \"/modules/{{module}}/inputs/{{input}}\"");
            }

            Advance();
            Expect(TokenKind.CloseParen, "')' after the endpoint");
            return RouteSink.ModuleInput(parts[2], parts[4]);
        }

        private static bool IsName(string part) => part.Length > 0 && part.AsSpan().IndexOfAny(" \t\r\n*") < 0;

        // ---- condition -------------------------------------------------------------------------------------------

        private ConditionNode ParseCondition()
        {
            Token first = current;
            ConditionNode node = ParseCoalesce();
            if (node.Type is StaticType.Number or StaticType.String)
            {
                throw ErrorAt(first, $"a condition must be a boolean expression but this one is a {Name(node.Type)}");
            }

            return node;
        }

        // Precedence, lowest first, as the alternatives of Condition.g4 (ANTLR gives earlier alternatives higher precedence):
        // ??, OR, AND, = != <>, < <= > >=, + - ||, * / %, unary - and NOT.
        private ConditionNode ParseCoalesce()
        {
            ConditionNode left = ParseOr();
            while (current.Kind == TokenKind.Coalesce)
            {
                Token op = current;
                Advance();
                ConditionNode right = ParseOr();
                StaticType type = left.Type == StaticType.Undefined ? right.Type : left.Type == right.Type ? left.Type : StaticType.Any;
                left = CheckDepth(op, new CoalesceNode(left, right, type));
            }

            return left;
        }

        private ConditionNode ParseOr()
        {
            ConditionNode first = ParseAnd();
            if (current.Kind != TokenKind.Or)
            {
                return first;
            }

            var operands = new List<ConditionNode> { CheckBoolean(current, first) };
            Token op = current;
            while (current.Kind == TokenKind.Or)
            {
                Token or = current;
                Advance();
                operands.Add(CheckBoolean(or, ParseAnd()));
            }

            return CheckDepth(op, new OrNode(operands.ToArray(), MaxDepth(operands) + 1));
        }

        private ConditionNode ParseAnd()
        {
            ConditionNode first = ParseEquality();
            if (current.Kind != TokenKind.And)
            {
                return first;
            }

            var operands = new List<ConditionNode> { CheckBoolean(current, first) };
            Token op = current;
            while (current.Kind == TokenKind.And)
            {
                Token and = current;
                Advance();
                operands.Add(CheckBoolean(and, ParseEquality()));
            }

            return CheckDepth(op, new AndNode(operands.ToArray(), MaxDepth(operands) + 1));
        }

        private ConditionNode ParseEquality()
        {
            ConditionNode left = ParseRelational();
            while (current.Kind is TokenKind.Equal or TokenKind.NotEqual)
            {
                Token op = current;
                Advance();
                ConditionNode right = ParseRelational();
                CheckComparable(op, left, right, ordering: false);
                left = CheckDepth(op, new CompareNode(op.Kind == TokenKind.Equal ? CompareOp.Equal : CompareOp.NotEqual, left, right));
            }

            return left;
        }

        private ConditionNode ParseRelational()
        {
            ConditionNode left = ParseAdditive();
            while (current.Kind is TokenKind.Less or TokenKind.LessOrEqual or TokenKind.Greater or TokenKind.GreaterOrEqual)
            {
                Token op = current;
                Advance();
                ConditionNode right = ParseAdditive();
                CheckComparable(op, left, right, ordering: true);
                CompareOp compare = op.Kind switch
                {
                    TokenKind.Less => CompareOp.Less,
                    TokenKind.LessOrEqual => CompareOp.LessOrEqual,
                    TokenKind.Greater => CompareOp.Greater,
                    _ => CompareOp.GreaterOrEqual,
                };
                left = CheckDepth(op, new CompareNode(compare, left, right));
            }

            return left;
        }

        private ConditionNode ParseAdditive()
        {
            ConditionNode left = ParseMultiplicative();
            while (current.Kind is TokenKind.Plus or TokenKind.Minus or TokenKind.Concat)
            {
                Token op = current;
                Advance();
                ConditionNode right = ParseMultiplicative();
                if (op.Kind == TokenKind.Concat)
                {
                    CheckOperand(op, left, StaticType.String, "strings");
                    CheckOperand(op, right, StaticType.String, "strings");
                    left = CheckDepth(op, new ConcatOperatorNode(left, right));
                }
                else
                {
                    CheckOperand(op, left, StaticType.Number, "numbers");
                    CheckOperand(op, right, StaticType.Number, "numbers");
                    left = CheckDepth(op, new ArithmeticNode(op.Kind == TokenKind.Plus ? ArithmeticOp.Add : ArithmeticOp.Subtract, left, right));
                }
            }

            return left;
        }

        private ConditionNode ParseMultiplicative()
        {
            ConditionNode left = ParseUnary();
            while (current.Kind is TokenKind.Star or TokenKind.Slash or TokenKind.Percent)
            {
                Token op = current;
                Advance();
                ConditionNode right = ParseUnary();
                CheckOperand(op, left, StaticType.Number, "numbers");
                CheckOperand(op, right, StaticType.Number, "numbers");
                ArithmeticOp arithmetic = op.Kind switch
                {
                    TokenKind.Star => ArithmeticOp.Multiply,
                    TokenKind.Slash => ArithmeticOp.Divide,
                    _ => ArithmeticOp.Modulo,
                };
                left = CheckDepth(op, new ArithmeticNode(arithmetic, left, right));
            }

            return left;
        }

        private ConditionNode ParseUnary()
        {
            if (current.Kind is not (TokenKind.Minus or TokenKind.Not))
            {
                return ParsePrimary();
            }

            Token op = current;
            Enter(op);
            Advance();
            ConditionNode operand = ParseUnary();
            nesting--;
            if (op.Kind == TokenKind.Minus)
            {
                CheckOperand(op, operand, StaticType.Number, "a number");
                return CheckDepth(op, new NegateNode(operand));
            }

            CheckBoolean(op, operand);
            return CheckDepth(op, new NotNode(operand));
        }

        private ConditionNode ParsePrimary()
        {
            Token token = current;
            switch (token.Kind)
            {
                case TokenKind.OpenParen:
                    Enter(token);
                    Advance();
                    ConditionNode inner = ParseCoalesce();
                    if (current.Kind != TokenKind.CloseParen)
                    {
                        (int line, int column) = lexer.LineColumn(token.Start);
                        throw Unexpected($"')' to close the '(' at line {line}, column {column}");
                    }

                    nesting--;
                    Advance();
                    return inner;
                case TokenKind.String:
                    Advance();
                    return new ConstantNode(QueryValue.FromString(token.Value), StaticType.String);
                case TokenKind.Integer:
                case TokenKind.Real:
                    // GrammarLexer.g4 lets REAL_LITERAL omit the mantissa, so "e5" lexes as a number (edgeHub then makes it undefined).
                    if (!double.TryParse(lexer.TextOf(token), NumberStyles.Float, CultureInfo.InvariantCulture, out double number))
                    {
                        throw ErrorAt(token, $"invalid number {Describe(token)}: an exponent needs digits before it (edgeHub reads names like e5 as numbers)");
                    }

                    Advance();
                    return new ConstantNode(QueryValue.FromNumber(number), StaticType.Number);
                case TokenKind.Hex:
                    if (!long.TryParse(lexer.Text.AsSpan(token.Start + 2, token.Length - 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out long hex))
                    {
                        throw ErrorAt(token, "hexadecimal literal is out of range (at most 16 hex digits)");
                    }

                    Advance();
                    return new ConstantNode(QueryValue.FromNumber(hex), StaticType.Number);
                case TokenKind.True:
                case TokenKind.False:
                    Advance();
                    return new ConstantNode(QueryValue.FromBool(token.Kind == TokenKind.True), StaticType.Bool);
                case TokenKind.Null:
                    Advance();
                    return new ConstantNode(QueryValue.Null, StaticType.Null);
                case TokenKind.Undefined:
                    Advance();
                    return new ConstantNode(QueryValue.Undefined, StaticType.Undefined);
                case TokenKind.SysProp:
                    Advance();
                    return SystemProperty(token, escaped: false);
                case TokenKind.OpenBrace:
                    Advance();
                    Expect(TokenKind.SysProp, "a system property such as $contentType after '{'");
                    Token property = current;
                    Advance();
                    Expect(TokenKind.CloseBrace, "'}' after the system property");
                    Advance();
                    return SystemProperty(property, escaped: true);
                case TokenKind.Id:
                    Advance();
                    return current.Kind == TokenKind.OpenParen ? FunctionCall(token) : new AppPropertyNode(lexer.TextOf(token));
                case TokenKind.Unknown:
                    throw ErrorAt(token, $"unexpected character {Describe(token)}");
                default:
                    throw Unexpected("an expression (property, $systemProperty, $body path, literal, function call or '(')");
            }
        }

        private ConditionNode SystemProperty(Token token, bool escaped)
        {
            string text = lexer.TextOf(token);
            string name = text[1..];
            if (name.StartsWith("body.", StringComparison.OrdinalIgnoreCase))
            {
                BodyPathSegment[] path;
                try
                {
                    path = BodyPath.Parse(name[5..]);
                }
                catch (FormatException ex)
                {
                    throw ErrorAt(token, $"invalid $body path '{text}': {ex.Message}");
                }

                (int line, int column) = lexer.LineColumn(token.Start);
                return new BodyPathNode(escaped ? null : text, path) { Where = $"{text} (line {line}, column {column})" };
            }

            if (name.Equals("body", StringComparison.OrdinalIgnoreCase))
            {
                throw ErrorAt(token, "$body needs a path, e.g. $body.temperature");
            }

            if (name.Equals("twin", StringComparison.OrdinalIgnoreCase) || name.StartsWith("twin.", StringComparison.OrdinalIgnoreCase))
            {
                throw ErrorAt(token, "$twin queries are not supported by edgeHub routes (IoT Hub only)");
            }

            if (name.AsSpan().IndexOfAny("[]") >= 0)
            {
                throw ErrorAt(token, $"'[' and ']' are only allowed in $body paths, not in '{text}'");
            }

            return new SystemPropertyNode(CanonicalSystemName(name), escaped ? null : text);
        }

        private static readonly string[] SystemNames =
        [
            SystemPropertyNames.MessageId, SystemPropertyNames.CorrelationId, SystemPropertyNames.ContentType,
            SystemPropertyNames.ContentEncoding, SystemPropertyNames.ConnectionDeviceId, SystemPropertyNames.ConnectionModuleId,
            SystemPropertyNames.OutputName, SystemPropertyNames.UserId, SystemPropertyNames.To, SystemPropertyNames.ExpiryTimeUtc,
            SystemPropertyNames.EnqueuedTime, SystemPropertyNames.CreationTimeUtc, SystemPropertyNames.MessageSchema,
            SystemPropertyNames.ComponentName,
        ];

        private static string CanonicalSystemName(string name)
        {
            foreach (string known in SystemNames)
            {
                if (known.Equals(name, StringComparison.OrdinalIgnoreCase))
                {
                    return known;
                }
            }

            return name;
        }

        private ConditionNode FunctionCall(Token nameToken)
        {
            string name = lexer.TextOf(nameToken);
            if (!Builtins.TryGet(name, out BuiltinSignature signature))
            {
                string reason = Builtins.IsIotHubOnly(name)
                    ? $"function '{name}' is not supported by edgeHub routes (IoT Hub only); supported: {Builtins.SupportedNames}"
                    : $"unknown function '{name}'; supported: {Builtins.SupportedNames}";
                throw ErrorAt(nameToken, reason);
            }

            Enter(nameToken);
            Advance();
            var args = new List<ConditionNode>();
            if (current.Kind != TokenKind.CloseParen)
            {
                while (true)
                {
                    Token argStart = current;
                    ConditionNode arg = ParseCoalesce();
                    StaticType required = signature.ArgType(args.Count);
                    if (required != StaticType.Any && arg.Type != required && arg.Type is not (StaticType.Any or StaticType.Undefined))
                    {
                        throw ErrorAt(argStart, $"function '{signature.Name}' expects a {Name(required)} as argument {args.Count + 1} but got a {Name(arg.Type)}");
                    }

                    args.Add(arg);
                    if (current.Kind != TokenKind.Comma)
                    {
                        break;
                    }

                    Advance();
                }
            }

            Expect(TokenKind.CloseParen, args.Count == 0 ? "an argument or ')'" : "',' or ')'");
            nesting--;
            if (args.Count < signature.MinArgs || args.Count > signature.MaxArgs)
            {
                string arity = signature.MinArgs == signature.MaxArgs ? $"{signature.MinArgs}"
                    : signature.MaxArgs == int.MaxValue ? $"at least {signature.MinArgs}"
                    : $"{signature.MinArgs} to {signature.MaxArgs}";
                throw ErrorAt(nameToken, $"function '{signature.Name}' takes {arity} argument(s) but got {args.Count}");
            }

            Advance();
            return CheckDepth(nameToken, new FunctionNode(signature, args.ToArray(), MaxDepth(args) + 1));
        }

        // ---- checks ----------------------------------------------------------------------------------------------

        private void Enter(Token token)
        {
            if (++nesting > MaxNestingDepth)
            {
                throw ErrorAt(token, $"condition is nested too deeply (limit {MaxNestingDepth} levels)");
            }
        }

        private ConditionNode CheckDepth(Token op, ConditionNode node)
        {
            if (node.Depth > MaxNestingDepth)
            {
                throw ErrorAt(op, $"condition is nested too deeply (limit {MaxNestingDepth} levels)");
            }

            return node;
        }

        private static int MaxDepth(List<ConditionNode> nodes)
        {
            int depth = 0;
            foreach (ConditionNode node in nodes)
            {
                depth = Math.Max(depth, node.Depth);
            }

            return depth;
        }

        // Static type rules follow edgeHub's compiler: an operand whose type is known and wrong is a compile error;
        // $body values (Any) are checked at run time, where a wrong type makes the result undefined.
        private ConditionNode CheckBoolean(Token op, ConditionNode operand)
        {
            if (operand.Type is StaticType.Number or StaticType.String)
            {
                throw ErrorAt(op, $"operator '{lexer.TextOf(op).ToUpperInvariant()}' expects booleans but got a {Name(operand.Type)}");
            }

            return operand;
        }

        private void CheckOperand(Token op, ConditionNode operand, StaticType expected, string what)
        {
            if (operand.Type != expected && operand.Type is not (StaticType.Any or StaticType.Undefined))
            {
                string hint = expected == StaticType.Number && operand.Type == StaticType.String ? "; properties are strings, use as_number(...)" : string.Empty;
                throw ErrorAt(op, $"operator '{lexer.TextOf(op)}' expects {what} but got a {Name(operand.Type)}{hint}");
            }
        }

        private void CheckComparable(Token op, ConditionNode left, ConditionNode right, bool ordering)
        {
            string symbol = lexer.TextOf(op);
            if (ordering)
            {
                foreach (ConditionNode side in (ReadOnlySpan<ConditionNode>)[left, right])
                {
                    if (side.Type is StaticType.Bool or StaticType.Null)
                    {
                        throw ErrorAt(op, $"operator '{symbol}' compares numbers or strings but got a {Name(side.Type)}");
                    }
                }
            }

            if (IsConcrete(left.Type) && IsConcrete(right.Type) && left.Type != right.Type)
            {
                string hint = (left.Type, right.Type) is (StaticType.String, StaticType.Number) or (StaticType.Number, StaticType.String)
                    ? "; properties are strings, use as_number(...) to compare them with numbers"
                    : string.Empty;
                throw ErrorAt(op, $"operator '{symbol}' cannot compare a {Name(left.Type)} with a {Name(right.Type)}{hint}");
            }
        }

        private static bool IsConcrete(StaticType type) => type is StaticType.Bool or StaticType.Number or StaticType.String;

        private static string Name(StaticType type) => type switch
        {
            StaticType.Bool => "boolean",
            StaticType.Number => "number",
            StaticType.String => "string",
            StaticType.Null => "null",
            StaticType.Undefined => "undefined",
            _ => "value",
        };
    }
}
