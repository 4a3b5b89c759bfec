using EdgeHub.Messaging;

namespace EdgeHub.Routing;

/// <summary>What a route source selects (edgeHub matches a message source path against the route path as a prefix).</summary>
public enum RouteSourceKind
{
    /// <summary><c>/*</c>: every message, including twin change notifications.</summary>
    All,

    /// <summary><c>/messages/*</c>: telemetry from modules and from leaf devices.</summary>
    AllMessages,

    /// <summary><c>/messages/modules/*</c>: telemetry from any module (not from leaf devices).</summary>
    AllModules,

    /// <summary><c>/messages/modules/{m}/*</c>: telemetry from module m, with or without an output name.</summary>
    Module,

    /// <summary><c>/messages/modules/{m}/outputs/*</c>: telemetry from module m sent on any named output.</summary>
    ModuleAnyOutput,

    /// <summary><c>/messages/modules/{m}/outputs/{o}</c>: telemetry from module m on output o.</summary>
    ModuleOutput,

    /// <summary><c>/twinChangeNotifications</c>: twin change notifications.</summary>
    TwinChangeNotifications,
}

/// <summary>
/// A parsed route source. Matching follows edgeHub's prefix rule on path segments: a module message has the source path
/// <c>/messages/modules/{m}[/outputs/{o}]</c>, a leaf-device message <c>/messages</c>, a twin change
/// <c>/twinChangeNotifications</c>; module and output names compare case-insensitively as in edgeHub.
/// </summary>
public sealed class RouteSource
{
    internal RouteSource(RouteSourceKind kind, string path, string? moduleId, string? outputName)
    {
        Kind = kind;
        Path = path;
        ModuleId = moduleId;
        OutputName = outputName;
    }

    public RouteSourceKind Kind { get; }

    /// <summary>The path as written in the route (e.g. <c>/messages/modules/tempSensor/outputs/*</c>).</summary>
    public string Path { get; }

    public string? ModuleId { get; }

    public string? OutputName { get; }

    public bool Matches(in MessageSource source)
    {
        if (source.Kind == MessageSourceKind.TwinChangeNotification)
        {
            return Kind is RouteSourceKind.All or RouteSourceKind.TwinChangeNotifications;
        }

        bool fromModule = !string.IsNullOrEmpty(source.ModuleId);
        bool hasOutput = !string.IsNullOrEmpty(source.OutputName);
        return Kind switch
        {
            RouteSourceKind.All or RouteSourceKind.AllMessages => true,
            RouteSourceKind.AllModules => fromModule,
            RouteSourceKind.Module => fromModule && SameName(source.ModuleId, ModuleId),
            RouteSourceKind.ModuleAnyOutput => fromModule && hasOutput && SameName(source.ModuleId, ModuleId),
            RouteSourceKind.ModuleOutput => fromModule && hasOutput && SameName(source.ModuleId, ModuleId) && SameName(source.OutputName, OutputName),
            _ => false,
        };
    }

    public override string ToString() => Path;

    private static bool SameName(string? a, string? b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);
}
