using BenchmarkDotNet.Running;
using EdgeBench;

// `pipeline` runs the end-to-end throughput bench, `modbus` the Modbus polling bench against libmodbus;
// anything else goes to BenchmarkDotNet (e.g. --filter '*Route*').
if (args.Length > 0 && args[0] == "pipeline")
{
    return await PipelineBench.RunAsync(args[1..]);
}

if (args.Length > 0 && args[0] == "modbus")
{
    return await ModbusBench.RunAsync(args[1..]);
}

BenchmarkSwitcher.FromAssembly(typeof(PipelineBench).Assembly).Run(args);
return 0;
