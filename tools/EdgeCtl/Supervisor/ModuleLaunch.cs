using EdgeCtl.Manifest;

namespace EdgeCtl.Supervisor;

/// <summary>One module of one device to supervise.</summary>
/// <param name="DeviceId">The simulated device the module belongs to.</param>
/// <param name="Spec">The module as the manifest describes it (name, status, restart policy, startup order).</param>
/// <param name="ProjectPath">The module's .csproj: built once per path, then run with <c>dotnet &lt;assembly&gt;.dll</c>. Null when <see cref="Command"/> is set.</param>
/// <param name="Environment">Variables set on top of the parent's environment (IOTEDGE_* and the manifest's env).</param>
public sealed record ModuleLaunch(string DeviceId, ModuleSpec Spec, string? ProjectPath, IReadOnlyDictionary<string, string> Environment)
{
    /// <summary>An executable to run instead of building <see cref="ProjectPath"/> (tests, non-.NET modules).</summary>
    public string? Command { get; init; }

    /// <summary>Arguments of <see cref="Command"/>.</summary>
    public IReadOnlyList<string> Arguments { get; init; } = [];

    /// <summary>The working directory of the process; default: the project's folder, else the current directory.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary><c>device/module</c>: the prefix of its log lines and its key in metrics and snapshots.</summary>
    public string Key => $"{DeviceId}/{Spec.Name}";

    /// <summary>A launch that runs <paramref name="command"/> instead of a project.</summary>
    public static ModuleLaunch ForCommand(string deviceId, ModuleSpec spec, string command, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentException.ThrowIfNullOrEmpty(command);
        ArgumentNullException.ThrowIfNull(arguments);
        return new ModuleLaunch(deviceId, spec, null, environment ?? new Dictionary<string, string>()) { Command = command, Arguments = arguments };
    }
}
