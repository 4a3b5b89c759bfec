using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using System.Xml;
using System.Xml.Linq;
using Microsoft.Extensions.Logging;

namespace EdgeCtl.Supervisor;

/// <summary>The result of building one project: the assembly to run, or the reason it cannot run.</summary>
internal sealed record BuildResult(bool Succeeded, string? AssemblyPath, string? Error);

/// <summary>Builds each project once (shared by every device and restart), one build at a time.</summary>
internal sealed class ModuleBuilder(SupervisorOptions options, ILogger logger, SupervisorMetrics metrics) : IDisposable
{
    // Variables the test host or an outer MSBuild sets; inherited by a nested `dotnet build` they point it at the wrong SDK parts.
    private static readonly string[] MsBuildVariables = ["MSBuildExtensionsPath", "MSBuildSDKsPath", "MSBUILD_EXE_PATH", "MSBuildLoadMicrosoftTargetsReadOnly", "MSBuildStartupDirectory"];

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Task<BuildResult>> _builds = new(StringComparer.Ordinal);

    public Task<BuildResult> BuildAsync(string projectPath, string moduleKey, CancellationToken ct)
    {
        string full = Path.GetFullPath(projectPath);
        lock (_lock)
        {
            if (!_builds.TryGetValue(full, out Task<BuildResult>? build))
            {
                build = BuildCoreAsync(full, moduleKey, ct);
                _builds[full] = build;
            }

            return build;
        }
    }

    private async Task<BuildResult> BuildCoreAsync(string project, string moduleKey, CancellationToken ct)
    {
        await Task.Yield();
        if (!File.Exists(project))
        {
            return Fail(project, moduleKey, $"project file not found: {project}");
        }

        string projectName = Path.GetFileNameWithoutExtension(project);
        string output = Path.Combine(options.StateDirectory, "build", projectName);
        string assembly = Path.Combine(output, AssemblyNameOf(project) + ".dll");

        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            SupervisorLog.Building(logger, project, moduleKey);
            var psi = new ProcessStartInfo(options.DotnetPath)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                WorkingDirectory = Path.GetDirectoryName(project)!,
            };

            // -nodeReuse:false and UseSharedCompilation=false: no MSBuild node or compiler server outlives the build (no orphans).
            foreach (string arg in new[] { "build", project, "-c", "Release", "-o", output, "-nologo", "-v:q", "-nodeReuse:false", "-p:UseSharedCompilation=false" })
            {
                psi.ArgumentList.Add(arg);
            }

            foreach (string name in MsBuildVariables) psi.Environment.Remove(name);
            psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
            psi.Environment["DOTNET_NOLOGO"] = "1";

            var lines = new List<string>();
            using var process = new Process { StartInfo = psi };
            process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (lines) lines.Add(e.Data); };
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (lines) lines.Add(e.Data); };
            try
            {
                process.Start();
            }
            catch (Win32Exception ex)
            {
                return Fail(project, moduleKey, $"cannot run '{options.DotnetPath}' to build {projectName}: {ex.Message}");
            }

            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            try
            {
                await process.WaitForExitAsync(ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                try
                {
                    process.Kill(entireProcessTree: true);
                }
                catch (InvalidOperationException)
                {
                    // Already exited.
                }

                throw;
            }

            if (process.ExitCode != 0)
            {
                string errors;
                lock (lines) errors = FirstErrors(lines);
                return Fail(project, moduleKey, $"build of {projectName} failed (dotnet exit code {process.ExitCode}): {errors}");
            }

            if (!File.Exists(assembly))
            {
                return Fail(project, moduleKey, $"build of {projectName} succeeded but produced no {assembly}");
            }

            SupervisorLog.Built(logger, project, assembly);
            return new BuildResult(true, assembly, null);
        }
        finally
        {
            _gate.Release();
        }
    }

    private BuildResult Fail(string project, string moduleKey, string error)
    {
        metrics.BuildFailed();
        SupervisorLog.BuildFailed(logger, project, moduleKey, error);
        return new BuildResult(false, null, error);
    }

    public void Dispose() => _gate.Dispose();

    /// <summary>The first compiler/MSBuild error lines (distinct, at most 5), else the last lines of the output.</summary>
    internal static string FirstErrors(IReadOnlyList<string> lines)
    {
        List<string> errors = lines
            .Select(l => l.Trim())
            .Where(l => l.Contains(": error ", StringComparison.OrdinalIgnoreCase))
            .Distinct(StringComparer.Ordinal)
            .Take(5)
            .ToList();
        if (errors.Count == 0)
        {
            errors = lines.Select(l => l.Trim()).Where(l => l.Length > 0).TakeLast(5).ToList();
        }

        var text = new StringBuilder();
        foreach (string e in errors)
        {
            if (text.Length > 0) text.Append(Environment.NewLine);
            text.Append(e);
        }

        return text.Length == 0 ? "(no output)" : text.ToString();
    }

    /// <summary>The project's AssemblyName, else its file name (MSBuild's default).</summary>
    internal static string AssemblyNameOf(string project)
    {
        string fallback = Path.GetFileNameWithoutExtension(project);
        try
        {
            XDocument doc = XDocument.Load(project);
            string? name = doc.Descendants().FirstOrDefault(e => e.Name.LocalName == "AssemblyName")?.Value.Trim();
            return string.IsNullOrEmpty(name) || name.Contains("$(", StringComparison.Ordinal) ? fallback : name;
        }
        catch (Exception ex) when (ex is XmlException or IOException or UnauthorizedAccessException)
        {
            return fallback;
        }
    }
}
