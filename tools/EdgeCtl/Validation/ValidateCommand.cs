using System.CommandLine;
using EdgeCtl.Manifest;

namespace EdgeCtl.Validation;

/// <summary>
/// <c>edgectl validate [manifest] [--env FILE] [--modules DIR] [--platform amd64]</c>: prints one line per problem,
/// <c>file: json-path: message</c>, and exits 1; exits 0 (and prints nothing) when the manifest is clean.
/// </summary>
internal static class ValidateCommand
{
    public const int Clean = 0;
    public const int HasProblems = 1;

    public static Command Create()
    {
        var manifest = new Argument<string>("manifest")
        {
            Description = "the deployment template or manifest",
            Arity = ArgumentArity.ZeroOrOne,
            DefaultValueFactory = _ => "deployment.template.json",
        };
        var env = new Option<string?>("--env") { Description = "the .env file (default: DOTENV_FILE or .env beside the manifest)" };
        var modules = new Option<string?>("--modules") { Description = "the modules root (default: MODULES_PATH or modules/ beside the manifest)" };
        var platform = new Option<string?>("--platform") { Description = "platform of ${MODULES.Folder} (default: DEFAULT_PLATFORM or amd64)" };

        var command = new Command("validate", "check a deployment manifest: schema, placeholders, module folders, routes");
        command.Arguments.Add(manifest);
        command.Options.Add(env);
        command.Options.Add(modules);
        command.Options.Add(platform);
        command.SetAction((parseResult, cancellationToken) =>
        {
            var options = new ManifestLoadOptions
            {
                EnvFile = parseResult.GetValue(env),
                ModulesRoot = parseResult.GetValue(modules),
                Platform = parseResult.GetValue(platform),
            };
            return Task.FromResult(Run(parseResult.GetValue(manifest) ?? "deployment.template.json", options, Console.Out));
        });
        return command;
    }

    /// <summary>Validates and prints; returns the exit code.</summary>
    internal static int Run(string manifestPath, ManifestLoadOptions options, TextWriter output)
    {
        IReadOnlyList<ManifestProblem> problems = ManifestValidator.Validate(manifestPath, options);
        foreach (ManifestProblem problem in problems)
        {
            output.WriteLine(problem.ToString());
        }

        return problems.Count == 0 ? Clean : HasProblems;
    }
}
