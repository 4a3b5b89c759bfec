using System.Text;
using System.Text.Json;

namespace EdgeHub.Routing.Conditions;

/// <summary>One step of a <c>$body</c> path: a property name with an optional array index (<c>a</c>, <c>a[2]</c>).</summary>
internal readonly record struct BodyPathSegment(string Name, byte[] Utf8Name, int Index);

/// <summary>
/// Reads one value out of a UTF-8 JSON body by streaming it with <see cref="Utf8JsonReader"/>: no document is built and
/// nothing is allocated except for string results. Siblings that are not on the path are skipped, so the cost grows
/// with the position of the value in the body, not with the size of the body.
/// </summary>
internal static class BodyPath
{
    /// <summary>The JSON nesting the reader accepts (System.Text.Json's default).</summary>
    public const int MaxJsonDepth = 64;

    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = MaxJsonDepth, CommentHandling = JsonCommentHandling.Skip };

    public static BodyPathSegment[] Parse(string path)
    {
        // edgeHub's JsonPath.g4: segment ('.' segment)*, segment = IDENTIFIER | IDENTIFIER '[' INT ']'.
        string[] parts = path.Split('.');
        var segments = new BodyPathSegment[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            string part = parts[i];
            int index = -1;
            int open = part.IndexOf('[', StringComparison.Ordinal);
            if (open >= 0)
            {
                if (!part.EndsWith(']') || open == part.Length - 2 ||
                    !int.TryParse(part.AsSpan(open + 1, part.Length - open - 2), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out index))
                {
                    throw new FormatException($"invalid array index in '{part}' (expected name[number])");
                }

                part = part[..open];
            }

            if (part.Length == 0)
            {
                throw new FormatException("empty property name in $body path");
            }

            if (part.AsSpan().IndexOfAny("[]") >= 0)
            {
                throw new FormatException($"invalid character in '{part}'");
            }

            segments[i] = new BodyPathSegment(part, Encoding.UTF8.GetBytes(part), index);
        }

        return segments;
    }

    /// <summary>Returns the scalar at <paramref name="path"/>; objects, arrays and missing members are undefined. Throws <see cref="JsonException"/> on malformed JSON before the value.</summary>
    public static QueryValue Read(ReadOnlySpan<byte> json, BodyPathSegment[] path)
    {
        var reader = new Utf8JsonReader(json, ReaderOptions);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return QueryValue.Undefined;
        }

        for (int i = 0; i < path.Length; i++)
        {
            if (reader.TokenType != JsonTokenType.StartObject || !FindProperty(ref reader, path[i].Utf8Name))
            {
                return QueryValue.Undefined;
            }

            if (path[i].Index >= 0 && (reader.TokenType != JsonTokenType.StartArray || !FindElement(ref reader, path[i].Index)))
            {
                return QueryValue.Undefined;
            }
        }

        return reader.TokenType switch
        {
            JsonTokenType.Number => QueryValue.FromNumber(reader.GetDouble()),
            JsonTokenType.String => QueryValue.FromString(reader.GetString()),
            JsonTokenType.True => QueryValue.True,
            JsonTokenType.False => QueryValue.False,
            JsonTokenType.Null => QueryValue.Null,
            _ => QueryValue.Undefined,
        };
    }

    // Reader on StartObject -> reader on the value of the first property named `name`.
    private static bool FindProperty(ref Utf8JsonReader reader, byte[] name)
    {
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.EndObject)
            {
                return false;
            }

            bool match = reader.ValueTextEquals(name);
            if (!reader.Read())
            {
                return false;
            }

            if (match)
            {
                return true;
            }

            reader.Skip();
        }

        return false;
    }

    // Reader on StartArray -> reader on element `index`.
    private static bool FindElement(ref Utf8JsonReader reader, int index)
    {
        int position = 0;
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.EndArray)
            {
                return false;
            }

            if (position == index)
            {
                return true;
            }

            reader.Skip();
            position++;
        }

        return false;
    }
}
