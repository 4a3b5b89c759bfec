namespace EdgeKit;

/// <summary>
/// Event id blocks for EdgeKit logs (one block of 100 per area, as Azure/iotedge hands them out).
/// Modules built on EdgeKit start their own blocks at 1000.
/// </summary>
internal static class EventIds
{
    public const int ClientBase = 100;
    public const int AuthBase = 200;
    public const int HostingBase = 300;
    public const int MetricsBase = 400;
}
