using BenchmarkDotNet.Running;

namespace EdgeBench;

// A named class: EdgeHub's top-level Program is visible here through InternalsVisibleTo.
public static class Program
{
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
