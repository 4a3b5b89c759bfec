using System.CommandLine;

namespace EdgeCtl.Validation;

/// <summary>`edgectl validate`: check a deployment manifest.</summary>
internal static class ValidateCommand
{
    public static Command Create() => new("validate", "check a deployment manifest");
}
