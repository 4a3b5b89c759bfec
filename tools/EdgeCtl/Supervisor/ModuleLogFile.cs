using System.Text;

namespace EdgeCtl.Supervisor;

/// <summary><c>&lt;state&gt;/logs/&lt;device&gt;/&lt;module&gt;.log</c>: appended, flushed per line, each line prefixed <c>[device/module]</c>.</summary>
internal sealed class ModuleLogFile : IDisposable
{
    private readonly Lock _lock = new();
    private readonly StreamWriter? _writer;
    private readonly TimeProvider _time;
    private bool _disposed;

    public ModuleLogFile(string stateDirectory, string deviceId, string module, TimeProvider time)
    {
        _time = time;
        Prefix = $"[{deviceId}/{module}]";
        Path = System.IO.Path.Combine(stateDirectory, "logs", deviceId, module + ".log");
        try
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
            var stream = new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
            _writer = new StreamWriter(stream, new UTF8Encoding(false)) { AutoFlush = true };
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            OpenError = $"cannot open log file {Path}: {ex.Message}";
        }
    }

    public string Path { get; }

    public string Prefix { get; }

    public string? OpenError { get; }

    /// <summary>Appends <paramref name="line"/> and returns the prefixed text (what the console shows).</summary>
    public string Write(string line, bool isError)
    {
        string prefixed = $"{Prefix} {line}";
        lock (_lock)
        {
            if (_writer is not null && !_disposed)
            {
                try
                {
                    _writer.WriteLine($"{_time.GetUtcNow():yyyy-MM-ddTHH:mm:ss.fffZ} {(isError ? "E" : "I")} {prefixed}");
                }
                catch (IOException)
                {
                    // A full disk must not stop the module; the console still gets the line.
                }
            }
        }

        return prefixed;
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            _writer?.Dispose();
        }
    }
}
