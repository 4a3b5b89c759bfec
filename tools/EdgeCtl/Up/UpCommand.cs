using System.CommandLine;

namespace EdgeCtl.Up;

/// <summary>`edgectl up`: run the deployment manifest locally.</summary>
internal static class UpCommand
{
    public static Command Create() => new("up", "run the deployment manifest locally");
}
