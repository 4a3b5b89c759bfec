using System.Text.RegularExpressions;

namespace EdgeCtl.Manifest;

/// <summary>
/// The two kinds of <c>${...}</c> in an iotedgedev template: environment variables (expanded anywhere) and image
/// placeholders <c>${MODULES.Folder[.platform]}</c> / <c>${MODULEDIR&lt;path&gt;[.platform]}</c> (expanded only as the whole
/// value of a module's <c>settings.image</c>, as iotedgedev's <c>expand_image_placeholders</c> does).
/// </summary>
public static partial class Placeholders
{
    /// <summary>Every <c>${...}</c> in a text (python's <c>os.path.expandvars</c> takes any text up to the first <c>}</c>).</summary>
    [GeneratedRegex(@"\$\{([^}]*)\}", RegexOptions.CultureInvariant)]
    public static partial Regex Any();

    [GeneratedRegex(@"^\$\{MODULEDIR<(.+)>(\..+)?\}$", RegexOptions.CultureInvariant)]
    private static partial Regex ModuleDir();

    /// <summary>True for names that are image placeholders, never environment variables.</summary>
    public static bool IsImagePlaceholderName(string name) =>
        name.StartsWith("MODULES.", StringComparison.Ordinal) || name.StartsWith("MODULEDIR<", StringComparison.Ordinal);

    /// <summary>
    /// Replaces every <c>${NAME}</c> whose variable is set; leaves the others as written (as <c>os.path.expandvars</c>
    /// does) and adds their names to <paramref name="missing"/>. Image placeholders are left alone and not reported.
    /// </summary>
    public static string ExpandVariables(string text, Func<string, string?> variables, ICollection<string>? missing)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(variables);
        if (!text.Contains("${", StringComparison.Ordinal))
        {
            return text;
        }

        return Any().Replace(text, match =>
        {
            string name = match.Groups[1].Value;
            if (IsImagePlaceholderName(name))
            {
                return match.Value;
            }

            string? value = name.Length == 0 ? null : variables(name);
            if (value is null)
            {
                missing?.Add(name);
                return match.Value;
            }

            return value;
        });
    }

    /// <summary>
    /// Parses a whole image value <c>${MODULES.F}</c>, <c>${MODULES.F.p}</c>, <c>${MODULEDIR&lt;path&gt;}</c> or
    /// <c>${MODULEDIR&lt;path&gt;.p}</c>. <paramref name="platform"/> is null for the default platform; <c>debug</c> means
    /// the default platform's <c>.debug</c> variant (iotedgedev's <c>_update_module_maps</c>).
    /// </summary>
    public static bool TryParseImagePlaceholder(string image, out string folder, out string? platform, out bool isModuleDir)
    {
        ArgumentNullException.ThrowIfNull(image);
        folder = string.Empty;
        platform = null;
        isModuleDir = false;
        Match dir = ModuleDir().Match(image);
        if (dir.Success)
        {
            isModuleDir = true;
            folder = dir.Groups[1].Value;
            platform = dir.Groups[2].Success ? dir.Groups[2].Value[1..] : null;
            return true;
        }

        const string Prefix = "${MODULES.";
        if (!image.StartsWith(Prefix, StringComparison.Ordinal) || !image.EndsWith('}') || image.IndexOf('}', StringComparison.Ordinal) != image.Length - 1)
        {
            return false;
        }

        string rest = image[Prefix.Length..^1];
        int dot = rest.IndexOf('.', StringComparison.Ordinal);
        folder = dot < 0 ? rest : rest[..dot];
        platform = dot < 0 ? null : rest[(dot + 1)..];
        return folder.Length > 0 && (platform is null || platform.Length > 0);
    }
}
