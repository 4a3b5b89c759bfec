namespace EdgeCtl.Manifest;

/// <summary>How <see cref="ManifestLoader"/> resolves a template's placeholders.</summary>
public sealed class ManifestLoadOptions
{
    /// <summary>
    /// The <c>.env</c> file. Null: <c>DOTENV_FILE</c> from the environment, else <c>.env</c>, beside the manifest
    /// (iotedgedev reads it from the working directory, which is the solution folder that holds the template); a
    /// missing default file is not a problem, a missing explicit one is.
    /// </summary>
    public string? EnvFile { get; init; }

    /// <summary>The modules root. Null: <c>MODULES_PATH</c> (default <c>modules</c>) beside the manifest.</summary>
    public string? ModulesRoot { get; init; }

    /// <summary>The default platform for <c>${MODULES.F}</c>. Null: <c>DEFAULT_PLATFORM</c>, else <c>amd64</c>.</summary>
    public string? Platform { get; init; }

    /// <summary>The process environment (tests pass their own). Its values win over the <c>.env</c> file's.</summary>
    public Func<string, string?> Environment { get; init; } = System.Environment.GetEnvironmentVariable;

    public static ManifestLoadOptions Default { get; } = new();
}
