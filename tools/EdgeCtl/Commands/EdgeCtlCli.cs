using System.CommandLine;

namespace EdgeCtl.Commands;

/// <summary>The `edgectl` command line: one sub-command per verb, each defined in its own feature folder.</summary>
public static class EdgeCtlCli
{
    public static RootCommand Build()
    {
        var root = new RootCommand("edgectl: run, validate and operate the Edge AI module suite's IoT Edge deployment locally");
        foreach (var command in CommandRegistry.All())
        {
            root.Subcommands.Add(command);
        }

        return root;
    }

    public static Task<int> RunAsync(string[] args) => Build().Parse(args).InvokeAsync();
}
