using System.Globalization;
using System.Text;

namespace EdgeHub.Routing;

internal enum TokenKind : byte
{
    End,
    Select,
    From,
    Where,
    Into,
    String,
    Integer,
    Hex,
    Real,
    True,
    False,
    Null,
    Undefined,
    OpenParen,
    CloseParen,
    Comma,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    And,
    Or,
    Not,
    Equal,
    NotEqual,
    LessOrEqual,
    GreaterOrEqual,
    Greater,
    Less,
    Concat,
    Coalesce,
    OpenBrace,
    CloseBrace,
    SysProp,
    Id,
    Unknown,
}

/// <summary>A token: kind, offset and length in the route text; for strings, the unescaped value.</summary>
internal readonly record struct Token(TokenKind Kind, int Start, int Length, string? Value = null)
{
    public int End => Start + Length;
}

/// <summary>
/// The lexer of edgeHub's GrammarLexer.g4, written by hand: at each position the longest match wins and ties go to the rule
/// listed first (keywords and literals before identifiers). This reproduces edgeHub's quirks on purpose so that a route that
/// compiles here compiles there: identifiers may contain <c>+ - * . ! | &amp; '</c>, so <c>a+1</c> is one property name and
/// <c>-x</c> is a property named "-x"; write <c>a + 1</c> and <c>- x</c>.
/// Differences: a quote always starts a string literal, and <c>/* */</c> comments are only recognised inside conditions.
/// </summary>
internal sealed class RouteLexer(string text)
{
    public string Text { get; } = text;

    /// <summary>Offset of the next character to lex.</summary>
    public int Position { get; set; }

    // ID_CHARS excludes ()<>@,;:\"/[]?={} and white space; QUERY_PATH_CHARS (after '$') additionally allows [ and ].
    public static bool IsIdChar(char c) => !IsWhiteSpace(c) && "()<>@,;:\\\"/[]?={}".IndexOf(c, StringComparison.Ordinal) < 0;

    public static bool IsQueryPathChar(char c) => !IsWhiteSpace(c) && "()<>@,;:\\\"/?={}".IndexOf(c, StringComparison.Ordinal) < 0;

    public static bool IsWhiteSpace(char c) => c is ' ' or '\t' or '\r' or '\n';

    public (int Line, int Column) LineColumn(int offset)
    {
        int line = 1, column = 1;
        for (int i = 0; i < offset && i < Text.Length; i++)
        {
            if (Text[i] == '\n')
            {
                line++;
                column = 1;
            }
            else
            {
                column++;
            }
        }

        return (line, column);
    }

    public RouteSyntaxException Error(int offset, string reason)
    {
        (int line, int column) = LineColumn(offset);
        return new RouteSyntaxException(reason, line, column);
    }

    public void SkipWhiteSpace(bool comments)
    {
        while (Position < Text.Length)
        {
            char c = Text[Position];
            if (IsWhiteSpace(c))
            {
                Position++;
            }
            else if (comments && c == '/' && Position + 1 < Text.Length && Text[Position + 1] == '*')
            {
                int end = Text.IndexOf("*/", Position + 2, StringComparison.Ordinal);
                if (end < 0)
                {
                    throw Error(Position, "unterminated comment: expected '*/'");
                }

                Position = end + 2;
            }
            else
            {
                return;
            }
        }
    }

    public Token Next()
    {
        SkipWhiteSpace(comments: true);
        int p = Position;
        if (p >= Text.Length)
        {
            return new Token(TokenKind.End, p, 0);
        }

        char c = Text[p];
        if (c is '"' or '\'')
        {
            Token s = LexString(p);
            Position = s.End;
            return s;
        }

        TokenKind kind = TokenKind.Unknown;
        int length = 0;

        void Offer(TokenKind k, int len)
        {
            // Candidates are offered in grammar rule order, so only a strictly longer match replaces the current one.
            if (len > length)
            {
                kind = k;
                length = len;
            }
        }

        Offer(TokenKind.Select, Keyword(p, "select"));
        Offer(TokenKind.From, Keyword(p, "from"));
        Offer(TokenKind.Where, Keyword(p, "where"));
        Offer(TokenKind.Into, Keyword(p, "into"));
        Offer(TokenKind.Integer, IntegerLength(p));
        Offer(TokenKind.Hex, HexLength(p));
        Offer(TokenKind.Real, RealLength(p));
        Offer(TokenKind.True, Exact(p, "true"));
        Offer(TokenKind.False, Exact(p, "false"));
        Offer(TokenKind.Null, Exact(p, "null"));
        Offer(TokenKind.Undefined, Exact(p, "undefined"));
        Offer(TokenKind.OpenParen, Exact(p, "("));
        Offer(TokenKind.CloseParen, Exact(p, ")"));
        Offer(TokenKind.Comma, Exact(p, ","));
        Offer(TokenKind.Plus, Exact(p, "+"));
        Offer(TokenKind.Minus, Exact(p, "-"));
        Offer(TokenKind.Star, Exact(p, "*"));
        Offer(TokenKind.Slash, Exact(p, "/"));
        Offer(TokenKind.Percent, Exact(p, "%"));
        Offer(TokenKind.And, Keyword(p, "and"));
        Offer(TokenKind.Or, Keyword(p, "or"));
        Offer(TokenKind.Not, Keyword(p, "not"));
        Offer(TokenKind.Equal, Exact(p, "="));
        Offer(TokenKind.NotEqual, Math.Max(Exact(p, "!="), Exact(p, "<>")));
        Offer(TokenKind.LessOrEqual, Exact(p, "<="));
        Offer(TokenKind.GreaterOrEqual, Exact(p, ">="));
        Offer(TokenKind.Greater, Exact(p, ">"));
        Offer(TokenKind.Less, Exact(p, "<"));
        Offer(TokenKind.Concat, Exact(p, "||"));
        Offer(TokenKind.Coalesce, Exact(p, "??"));
        Offer(TokenKind.OpenBrace, Exact(p, "{"));
        Offer(TokenKind.CloseBrace, Exact(p, "}"));
        if (c == '$')
        {
            int q = p + 1;
            while (q < Text.Length && IsQueryPathChar(Text[q]))
            {
                q++;
            }

            if (q > p + 1)
            {
                Offer(TokenKind.SysProp, q - p);
            }
        }

        int id = p;
        while (id < Text.Length && IsIdChar(Text[id]))
        {
            id++;
        }

        Offer(TokenKind.Id, id - p);
        if (length == 0)
        {
            length = 1;
        }

        Position = p + length;
        return new Token(kind, p, length);
    }

    public string TextOf(Token token) => Text.Substring(token.Start, token.Length);

    private int Keyword(int p, string word) =>
        p + word.Length <= Text.Length && string.Compare(Text, p, word, 0, word.Length, StringComparison.OrdinalIgnoreCase) == 0 ? word.Length : 0;

    private int Exact(int p, string word) =>
        p + word.Length <= Text.Length && string.CompareOrdinal(Text, p, word, 0, word.Length) == 0 ? word.Length : 0;

    private int Digits(int p)
    {
        int q = p;
        while (q < Text.Length && char.IsAsciiDigit(Text[q]))
        {
            q++;
        }

        return q - p;
    }

    // INTEGER_LITERAL: '-'? [0-9]+
    private int IntegerLength(int p)
    {
        int sign = p < Text.Length && Text[p] == '-' ? 1 : 0;
        int digits = Digits(p + sign);
        return digits == 0 ? 0 : sign + digits;
    }

    // HEX_INTEGER_LITERAL: '0' [Xx] HEX_DIGIT+
    private int HexLength(int p)
    {
        if (p + 2 >= Text.Length || Text[p] != '0' || (Text[p + 1] != 'x' && Text[p + 1] != 'X'))
        {
            return 0;
        }

        int q = p + 2;
        while (q < Text.Length && char.IsAsciiHexDigit(Text[q]))
        {
            q++;
        }

        return q == p + 2 ? 0 : q - p;
    }

    // REAL_LITERAL: '-'? [0-9]* '.' [0-9]+ EXP? | '-'? [0-9]* EXP
    private int RealLength(int p)
    {
        int q = p;
        if (q < Text.Length && Text[q] == '-')
        {
            q++;
        }

        q += Digits(q);
        if (q < Text.Length && Text[q] == '.')
        {
            int fraction = Digits(q + 1);
            if (fraction == 0)
            {
                return 0;
            }

            q += 1 + fraction;
            return q + ExponentLength(q) - p;
        }

        int exponent = ExponentLength(q);
        return exponent == 0 ? 0 : q + exponent - p;
    }

    private int ExponentLength(int p)
    {
        if (p >= Text.Length || (Text[p] != 'e' && Text[p] != 'E'))
        {
            return 0;
        }

        int q = p + 1;
        if (q < Text.Length && (Text[q] == '+' || Text[q] == '-'))
        {
            q++;
        }

        int digits = Digits(q);
        return digits == 0 ? 0 : q + digits - p;
    }

    // STRING: '"' (ESC | ~["\\])* '"' | '\'' (ESC | ~['\\])* '\''; ESC: '\\' (["'\\] | 'u' HEX HEX HEX HEX)
    private Token LexString(int start)
    {
        char quote = Text[start];
        var value = new StringBuilder();
        int q = start + 1;
        while (q < Text.Length)
        {
            char c = Text[q];
            if (c == quote)
            {
                return new Token(TokenKind.String, start, q + 1 - start, value.ToString());
            }

            if (c == '\\')
            {
                if (q + 1 >= Text.Length)
                {
                    break;
                }

                char e = Text[q + 1];
                if (e is '"' or '\'' or '\\')
                {
                    value.Append(e);
                    q += 2;
                    continue;
                }

                if (e == 'u' && q + 6 <= Text.Length &&
                    ushort.TryParse(Text.AsSpan(q + 2, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ushort code))
                {
                    value.Append((char)code);
                    q += 6;
                    continue;
                }

                throw Error(q, "invalid escape sequence in string literal: expected \\\", \\', \\\\ or \\uXXXX");
            }

            value.Append(c);
            q++;
        }

        throw Error(start, $"unterminated string literal: expected closing {quote}");
    }
}
