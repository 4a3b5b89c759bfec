namespace EdgeCtl.Manifest;

/// <summary>
/// JSON paths as printed in problems: <c>$.modulesContent.$edgeAgent['properties.desired'].modules.X</c>. A name that is an
/// identifier (letters, digits, <c>_</c>, <c>$</c>, not starting with a digit) is written with a dot, any other name in
/// brackets and single quotes.
/// </summary>
public static class JsonPaths
{
    public const string Root = "$";

    public static string Property(string parent, string name)
    {
        ArgumentNullException.ThrowIfNull(parent);
        ArgumentNullException.ThrowIfNull(name);
        return IsIdentifier(name)
            ? $"{parent}.{name}"
            : $"{parent}['{name.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal)}']";
    }

    public static string Index(string parent, int index) => $"{parent}[{index}]";

    /// <summary>Turns a JSON pointer (RFC 6901, e.g. from JsonSchema.Net's instance location) into a path.</summary>
    public static string FromPointer(string pointer) => FromPointer(Root, pointer);

    public static string FromPointer(string parent, string pointer)
    {
        ArgumentNullException.ThrowIfNull(pointer);
        string path = parent;
        string trimmed = pointer.StartsWith('#') ? pointer[1..] : pointer;
        if (trimmed.Length == 0)
        {
            return path;
        }

        foreach (string raw in trimmed[1..].Split('/'))
        {
            string segment = raw.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
            path = Property(path, segment);
        }

        return path;
    }

    private static bool IsIdentifier(string name)
    {
        if (name.Length == 0 || char.IsAsciiDigit(name[0]))
        {
            return false;
        }

        foreach (char c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c == '_' || c == '$'))
            {
                return false;
            }
        }

        return true;
    }
}
