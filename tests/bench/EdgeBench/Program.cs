using BenchmarkDotNet.Running;

namespace EdgeBench;

// A named class (not top-level statements): EdgeHub exposes its own top-level Program to this assembly.
internal static class Program
{
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
