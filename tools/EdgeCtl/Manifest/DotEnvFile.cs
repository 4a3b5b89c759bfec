using System.Text;

namespace EdgeCtl.Manifest;

/// <summary>
/// Reads a <c>.env</c> file the way iotedgedev does (it calls python-dotenv's <c>load_dotenv(path)</c>, so
/// <c>override=False</c>): <c>KEY=VALUE</c> lines, <c>#</c> comments (whole line, or after white space in an unquoted
/// value), an optional <c>export</c> prefix, single quotes (literal), double quotes (escapes <c>\n \t \r \" \\</c>), quoted
/// values over several lines, and <c>${NAME}</c> / <c>${NAME:-default}</c> interpolation in unquoted and double-quoted
/// values. Interpolation, like the template, prefers the process environment over earlier <c>.env</c> entries.
/// A line without <c>=</c> is ignored (python-dotenv gives it no value). The last assignment of a key wins.
/// </summary>
public static class DotEnvFile
{
    public static IReadOnlyDictionary<string, string> Parse(string text, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(environment);
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        int i = 0;
        if (text.Length > 0 && text[0] == '\uFEFF')
        {
            i = 1;
        }

        while (i < text.Length)
        {
            SkipBlank(text, ref i);
            if (i >= text.Length)
            {
                break;
            }

            if (text[i] == '#')
            {
                SkipToLineEnd(text, ref i);
                continue;
            }

            int lineStart = i;
            int eq = IndexOfOnLine(text, i, '=');
            if (eq < 0)
            {
                SkipToLineEnd(text, ref i);
                continue;
            }

            string key = text[lineStart..eq].Trim();
            if (key.StartsWith("export ", StringComparison.Ordinal) || key.StartsWith("export\t", StringComparison.Ordinal))
            {
                key = key[6..].Trim();
            }

            if (key.Length >= 2 && (key[0] == '\'' || key[0] == '"') && key[^1] == key[0])
            {
                key = key[1..^1];
            }

            i = eq + 1;
            while (i < text.Length && (text[i] == ' ' || text[i] == '\t'))
            {
                i++;
            }

            string value;
            if (i < text.Length && text[i] == '\'')
            {
                value = ReadQuoted(text, ref i, '\'', escapes: false);
                SkipToLineEnd(text, ref i);
            }
            else if (i < text.Length && text[i] == '"')
            {
                value = Interpolate(ReadQuoted(text, ref i, '"', escapes: true), environment, values);
                SkipToLineEnd(text, ref i);
            }
            else
            {
                int start = i;
                SkipToLineEnd(text, ref i);
                string raw = text[start..i];
                int comment = FindInlineComment(raw);
                if (comment >= 0)
                {
                    raw = raw[..comment];
                }

                value = Interpolate(raw.Trim(), environment, values);
            }

            if (key.Length > 0)
            {
                values[key] = value;
            }
        }

        return values;
    }

    /// <summary>
    /// Expands <c>${NAME}</c> and <c>${NAME:-default}</c>: the process environment first, then the entries read so far,
    /// then the default (empty when none), as python-dotenv does with <c>override=False</c>.
    /// </summary>
    internal static string Interpolate(string value, Func<string, string?> environment, IReadOnlyDictionary<string, string> known)
    {
        if (!value.Contains("${", StringComparison.Ordinal))
        {
            return value;
        }

        var builder = new StringBuilder(value.Length);
        int i = 0;
        while (i < value.Length)
        {
            int open = value.IndexOf("${", i, StringComparison.Ordinal);
            int close = open < 0 ? -1 : value.IndexOf('}', open + 2);
            if (open < 0 || close < 0)
            {
                builder.Append(value, i, value.Length - i);
                break;
            }

            builder.Append(value, i, open - i);
            string inner = value[(open + 2)..close];
            string name = inner;
            string fallback = string.Empty;
            int sep = inner.IndexOf(":-", StringComparison.Ordinal);
            if (sep >= 0)
            {
                name = inner[..sep];
                fallback = inner[(sep + 2)..];
            }

            string? resolved = environment(name);
            if (resolved is null && known.TryGetValue(name, out string? earlier))
            {
                resolved = earlier;
            }

            builder.Append(resolved ?? fallback);
            i = close + 1;
        }

        return builder.ToString();
    }

    private static string ReadQuoted(string text, ref int i, char quote, bool escapes)
    {
        var builder = new StringBuilder();
        i++;
        while (i < text.Length && text[i] != quote)
        {
            char c = text[i];
            if (c == '\\' && i + 1 < text.Length)
            {
                char next = text[i + 1];
                if (escapes)
                {
                    switch (next)
                    {
                        case 'n': builder.Append('\n'); i += 2; continue;
                        case 't': builder.Append('\t'); i += 2; continue;
                        case 'r': builder.Append('\r'); i += 2; continue;
                        case '"': builder.Append('"'); i += 2; continue;
                        case '\\': builder.Append('\\'); i += 2; continue;
                        case '\'': builder.Append('\''); i += 2; continue;
                        default: break;
                    }
                }
                else if (next is '\'' or '\\')
                {
                    builder.Append(next);
                    i += 2;
                    continue;
                }
            }

            builder.Append(c);
            i++;
        }

        if (i < text.Length)
        {
            i++;
        }

        return builder.ToString();
    }

    private static int FindInlineComment(string raw)
    {
        for (int j = 1; j < raw.Length; j++)
        {
            if (raw[j] == '#' && (raw[j - 1] == ' ' || raw[j - 1] == '\t'))
            {
                return j;
            }
        }

        return raw.StartsWith('#') ? 0 : -1;
    }

    private static int IndexOfOnLine(string text, int start, char c)
    {
        for (int j = start; j < text.Length && text[j] != '\n'; j++)
        {
            if (text[j] == c)
            {
                return j;
            }
        }

        return -1;
    }

    private static void SkipBlank(string text, ref int i)
    {
        while (i < text.Length && char.IsWhiteSpace(text[i]))
        {
            i++;
        }
    }

    private static void SkipToLineEnd(string text, ref int i)
    {
        while (i < text.Length && text[i] != '\n')
        {
            i++;
        }

        if (i < text.Length)
        {
            i++;
        }
    }
}
