namespace EdgeHub.Routing;

public enum RouteSinkKind
{
    /// <summary><c>BrokeredEndpoint("/modules/{m}/inputs/{i}")</c>.</summary>
    ModuleInput,

    /// <summary><c>$upstream</c>: IoT Hub.</summary>
    Upstream,
}

/// <summary>Where a route delivers. <see cref="EndpointId"/> is the store's queue name.</summary>
public sealed class RouteSink
{
    public const string UpstreamEndpointId = "$upstream";

    private RouteSink(RouteSinkKind kind, string? moduleId, string? inputName, string endpointId)
    {
        Kind = kind;
        ModuleId = moduleId;
        InputName = inputName;
        EndpointId = endpointId;
    }

    public static RouteSink Upstream { get; } = new(RouteSinkKind.Upstream, null, null, UpstreamEndpointId);

    public RouteSinkKind Kind { get; }

    /// <summary>The target module (null for <see cref="RouteSinkKind.Upstream"/>).</summary>
    public string? ModuleId { get; }

    /// <summary>The target input (null for <see cref="RouteSinkKind.Upstream"/>).</summary>
    public string? InputName { get; }

    /// <summary><c>/modules/{m}/inputs/{i}</c> or <c>$upstream</c>.</summary>
    public string EndpointId { get; }

    public static RouteSink ModuleInput(string moduleId, string inputName)
    {
        ArgumentException.ThrowIfNullOrEmpty(moduleId);
        ArgumentException.ThrowIfNullOrEmpty(inputName);
        return new RouteSink(RouteSinkKind.ModuleInput, moduleId, inputName, $"/modules/{moduleId}/inputs/{inputName}");
    }

    public override string ToString() => EndpointId;
}
