using System.CommandLine;

namespace EdgeCtl.Routes;

/// <summary>
/// <c>edgectl route test</c>: evaluates a route, a bare condition or every route of a manifest against one message with
/// the engine the local hub runs (docs/routes.md). Exit codes: 0 routed, 1 not routed, 2 syntax or usage error.
/// </summary>
internal static class RouteCommand
{
    public static Command Create()
    {
        var command = new Command("route", "work with edgeHub routes");
        command.Subcommands.Add(CreateTest());
        return command;
    }

    private static Command CreateTest()
    {
        // String options take zero or one value and unknown tokens are not parse errors, so that every usage mistake reaches
        // the action and exits 2 (System.CommandLine's own parse errors exit 1, which here means "not routed").
        var route = new Option<string?>("--route") { Description = "the route: FROM source [WHERE condition] INTO sink", Arity = ArgumentArity.ZeroOrOne };
        var condition = new Option<string?>("--condition") { Description = "a bare condition to evaluate (routed = the condition is true)", Arity = ArgumentArity.ZeroOrOne };
        var manifest = new Option<string?>("--manifest") { Description = "evaluate every route of this deployment template or manifest", Arity = ArgumentArity.ZeroOrOne };
        var env = new Option<string?>("--env") { Description = "with --manifest: the .env file (default: DOTENV_FILE or .env beside the manifest)", Arity = ArgumentArity.ZeroOrOne };
        var modules = new Option<string?>("--modules") { Description = "with --manifest: the modules root (default: MODULES_PATH or modules/ beside the manifest)", Arity = ArgumentArity.ZeroOrOne };
        var sourceModule = new Option<string?>("--source-module") { Description = "the module that sends the message (default: a leaf device, source /messages)", Arity = ArgumentArity.ZeroOrOne };
        var output = new Option<string?>("--output") { Description = "the module output the message is sent on (needs --source-module)", Arity = ArgumentArity.ZeroOrOne };
        var device = new Option<string?>("--device") { Description = "the sending device id (default edge-device)", Arity = ArgumentArity.ZeroOrOne };
        var body = new Option<string?>("--body") { Description = "the message body: a file, or - for stdin", Arity = ArgumentArity.ZeroOrOne };
        var prop = new Option<string[]>("--prop") { Description = "an application property key=value (repeatable)", Arity = ArgumentArity.ZeroOrMore, AllowMultipleArgumentsPerToken = true };
        var sys = new Option<string[]>("--sys") { Description = "a system property name=value, e.g. contentType=application/json (repeatable)", Arity = ArgumentArity.ZeroOrMore, AllowMultipleArgumentsPerToken = true };
        var json = new Option<bool>("--json") { Description = "print the result as JSON" };

        var command = new Command("test", "evaluate a route (or a condition, or a manifest's routes) against one message, like IoT Hub's \"Test route\"")
        {
            route, condition, manifest, env, modules, sourceModule, output, device, body, prop, sys, json,
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var usage = new List<string>();
            foreach (string token in parseResult.UnmatchedTokens)
            {
                usage.Add($"unexpected argument '{token}'");
            }

            foreach (Option<string?> option in new[] { route, condition, manifest, env, modules, sourceModule, output, device, body })
            {
                if (parseResult.GetResult(option) is not null && parseResult.GetValue(option) is null)
                {
                    usage.Add($"{option.Name} needs a value");
                }
            }

            var request = new RouteTestRequest
            {
                Route = parseResult.GetValue(route),
                Condition = parseResult.GetValue(condition),
                Manifest = parseResult.GetValue(manifest),
                EnvFile = parseResult.GetValue(env),
                ModulesRoot = parseResult.GetValue(modules),
                SourceModule = parseResult.GetValue(sourceModule),
                Output = parseResult.GetValue(output),
                DeviceId = parseResult.GetValue(device) ?? RouteTestRequest.DefaultDeviceId,
                Body = parseResult.GetValue(body),
                Properties = parseResult.GetValue(prop) ?? [],
                SystemProperties = parseResult.GetValue(sys) ?? [],
                Json = parseResult.GetValue(json),
                UsageErrors = usage,
            };
            return await RouteTester.RunAsync(request, Console.In, Console.Out, Console.Error, cancellationToken).ConfigureAwait(false);
        });
        return command;
    }
}
