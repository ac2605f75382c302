using System.Linq;
using BenchmarkDotNet.Running;

namespace Socks5.Protocol.Benchmarks;

public static class Program
{
    // BenchmarkSwitcher takes BenchmarkDotNet's own command line: --filter, --job, --inProcess, --exporters, ...
    // The exit code is 1 when a benchmark failed to run, so that a script cannot read a crash as a pass.
    public static int Main(string[] args)
    {
        var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        bool failed = summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success));
        return failed ? 1 : 0;
    }
}
