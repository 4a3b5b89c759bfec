using System.CommandLine;
using EdgeCtl.Modbus;
using EdgeCtl.Plant;
using EdgeCtl.Routes;
using EdgeCtl.Up;
using EdgeCtl.Validation;

namespace EdgeCtl.Commands;

/// <summary>Every verb of edgectl; each is defined in its feature folder.</summary>
internal static class CommandRegistry
{
    public static IEnumerable<Command> All()
    {
        yield return UpCommand.Create();
        yield return ValidateCommand.Create();
        yield return PlantCommand.Create();
        yield return RouteCommand.Create();
        yield return ModbusCommand.Create();
    }
}
