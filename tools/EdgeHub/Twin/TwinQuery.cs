using System.Text;
using System.Text.Json.Nodes;
using EdgeHub.Messaging;
using EdgeHub.Routing;
using EdgeKit.Protocol;

namespace EdgeHub.Twin;

/// <summary>
/// The subset of IoT Hub's query language the cloud code uses on module twins:
/// `SELECT * FROM devices.modules [WHERE condition]`, where the condition reads `deviceId`, `moduleId`, `tags.*` and
/// `properties.desired.*` / `properties.reported.*` with the operators and functions of the routing query language
/// (it is evaluated by the route engine over the twin document, each path read as `$body.path`).
/// </summary>
public sealed class TwinQuery
{
    private static readonly HashSet<string> Keywords = new(StringComparer.OrdinalIgnoreCase) { "AND", "OR", "NOT", "true", "false", "null", "undefined" };
    private readonly CompiledCondition? _condition;

    private TwinQuery(CompiledCondition? condition) => _condition = condition;

    /// <summary>Parses a query; throws <see cref="FormatException"/> (or <see cref="RouteSyntaxException"/> for the condition) when it is not supported.</summary>
    public static TwinQuery Parse(string query)
    {
        ArgumentNullException.ThrowIfNull(query);
        string text = query.Trim();
        const string Prefix = "SELECT * FROM devices.modules";
        if (!text.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase))
        {
            throw new FormatException("only 'SELECT * FROM devices.modules [WHERE ...]' is supported");
        }

        string rest = text[Prefix.Length..].Trim();
        if (rest.Length == 0)
        {
            return new TwinQuery(null);
        }

        if (!rest.StartsWith("WHERE ", StringComparison.OrdinalIgnoreCase))
        {
            throw new FormatException($"expected WHERE after 'FROM devices.modules', found '{rest}'");
        }

        return new TwinQuery(RouteParser.ParseCondition(ToBodyPaths(rest["WHERE ".Length..])));
    }

    /// <summary>Whether a twin document (`{"deviceId","moduleId","tags","properties":{"desired","reported"}}`) matches.</summary>
    public bool Matches(JsonObject twin)
    {
        ArgumentNullException.ThrowIfNull(twin);
        if (_condition is null)
        {
            return true;
        }

        var system = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [SystemPropertyNames.ContentType] = "application/json",
            [SystemPropertyNames.ContentEncoding] = "utf-8",
        };
        var message = new HubMessage(Encoding.UTF8.GetBytes(twin.ToJsonString()), new Dictionary<string, string>(), system);
        return _condition.Evaluate(message);
    }

    /// <summary>Rewrites every twin path outside string literals (`tags.site`) to a body path (`$body.tags.site`).</summary>
    internal static string ToBodyPaths(string condition)
    {
        var output = new StringBuilder(condition.Length + 32);
        int i = 0;
        while (i < condition.Length)
        {
            char c = condition[i];
            if (c is '\'' or '"')
            {
                int end = condition.IndexOf(c, i + 1);
                end = end < 0 ? condition.Length - 1 : end;
                output.Append(condition, i, end - i + 1);
                i = end + 1;
                continue;
            }

            if (char.IsLetter(c) || c == '_')
            {
                int start = i;
                while (i < condition.Length && (char.IsLetterOrDigit(condition[i]) || condition[i] is '_' or '.' or '[' or ']'))
                {
                    i++;
                }

                string word = condition[start..i];
                int next = i;
                while (next < condition.Length && char.IsWhiteSpace(condition[next]))
                {
                    next++;
                }

                bool isFunction = next < condition.Length && condition[next] == '(';
                output.Append(isFunction || Keywords.Contains(word) ? word : "$body." + word);
                continue;
            }

            output.Append(c);
            i++;
        }

        return output.ToString();
    }
}
