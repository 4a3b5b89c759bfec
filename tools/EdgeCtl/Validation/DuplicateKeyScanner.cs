using System.Text;
using System.Text.Json;
using EdgeCtl.Manifest;

namespace EdgeCtl.Validation;

/// <summary>
/// Finds duplicate property names in raw JSON text. System.Text.Json (and IoT Hub's parser) keeps the last of two equal
/// keys without a word, so a second route or module with the same name silently replaces the first; only a reader pass
/// over the text can see it.
/// </summary>
internal static class DuplicateKeyScanner
{
    /// <summary>Returns (path of the object, duplicated name) for every repeated key, in document order.</summary>
    public static List<(string ObjectPath, string Name)> Scan(string text)
    {
        var duplicates = new List<(string, string)>();
        var stack = new Stack<Frame>();
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(text), new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject:
                    case JsonTokenType.StartArray:
                        stack.Push(new Frame(ChildPath(stack), reader.TokenType == JsonTokenType.StartObject));
                        break;
                    case JsonTokenType.EndObject:
                    case JsonTokenType.EndArray:
                        stack.Pop();
                        break;
                    case JsonTokenType.PropertyName:
                        Frame frame = stack.Peek();
                        string name = reader.GetString()!;
                        if (!frame.Names.Add(name))
                        {
                            duplicates.Add((frame.Path, name));
                        }

                        frame.Pending = name;
                        break;
                    default:
                        _ = ChildPath(stack);
                        break;
                }
            }
        }
        catch (JsonException)
        {
            // Invalid JSON is reported by the parser with its position; the duplicates found so far still count.
        }

        return duplicates;
    }

    private static string ChildPath(Stack<Frame> stack)
    {
        if (stack.Count == 0)
        {
            return JsonPaths.Root;
        }

        Frame top = stack.Peek();
        return top.IsObject ? JsonPaths.Property(top.Path, top.Pending ?? string.Empty) : JsonPaths.Index(top.Path, top.Index++);
    }

    private sealed class Frame(string path, bool isObject)
    {
        public string Path { get; } = path;

        public bool IsObject { get; } = isObject;

        public HashSet<string> Names { get; } = new(StringComparer.Ordinal);

        public string? Pending { get; set; }

        public int Index { get; set; }
    }
}
