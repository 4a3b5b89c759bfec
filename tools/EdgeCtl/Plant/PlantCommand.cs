using System.CommandLine;

namespace EdgeCtl.Plant;

/// <summary>`edgectl plant`: control the simulated plant.</summary>
internal static class PlantCommand
{
    public static Command Create() => new("plant", "control the simulated plant");
}
