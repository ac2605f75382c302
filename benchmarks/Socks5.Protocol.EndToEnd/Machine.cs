using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Socks5.Protocol.EndToEnd;

/// <summary>What the run ran on.</summary>
internal static class Machine
{
    public static IEnumerable<string> Describe(string loadBefore, string loadAfter, TimeSpan took, Settings settings)
    {
        string hypervisor = Lscpu("Hypervisor vendor");
        yield return $"- CPU: {Lscpu("Model name")}, {Environment.ProcessorCount} logical cores{(hypervisor == "?" ? "" : $", a {hypervisor} guest")}";
        yield return $"- RAM: {MemTotalGib():F1} GiB";
        yield return $"- OS: {OsName()}, kernel {Read("/proc/sys/kernel/osrelease")}";
        yield return $"- .NET: {RuntimeInformation.FrameworkDescription}, {(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")} GC";
        yield return $"- peers: socat {Dpkg("socat")}, danted {Dpkg("dante-server")}, microsocks {Dpkg("microsocks")}";
        yield return $"- load average (1, 5, 15 min) before: {loadBefore}; after: {loadAfter}; the run took {took.TotalMinutes:F1} min";
        yield return settings.ScaleGiven
            ? $"- command: `dotnet run -c Release --project benchmarks/Socks5.Protocol.EndToEnd -- {settings.Arguments}`"
            : $"- command: `dotnet run -c Release --project benchmarks/Socks5.Protocol.EndToEnd --{(settings.Quick ? " --quick" : "")}`";
    }

    private static string Lscpu(string key)
    {
        string output = RunTool("lscpu", "");
        foreach (string line in output.Split('\n'))
        {
            if (line.StartsWith(key + ":", StringComparison.Ordinal))
            {
                return line[(key.Length + 1)..].Trim();
            }
        }

        return "?";
    }

    private static double MemTotalGib()
    {
        string line = File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal)) ?? "MemTotal: 0 kB";
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0 / 1024.0;
    }

    private static string OsName()
    {
        string? pretty = File.Exists("/etc/os-release")
            ? File.ReadLines("/etc/os-release").FirstOrDefault(l => l.StartsWith("PRETTY_NAME=", StringComparison.Ordinal))
            : null;
        return pretty is null ? RuntimeInformation.OSDescription : pretty["PRETTY_NAME=".Length..].Trim('"');
    }

    private static string Dpkg(string package)
    {
        string version = RunTool("dpkg-query", $"-W -f=${{Version}} {package}").Trim();
        return version.Length == 0 ? "(not installed)" : version;
    }

    private static string Read(string path) => File.Exists(path) ? File.ReadAllText(path).Trim() : "?";

    private static string RunTool(string program, string arguments)
    {
        try
        {
            using Process? process = Process.Start(new ProcessStartInfo(program, arguments)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            });
            if (process is null)
            {
                return "";
            }

            string output = process.StandardOutput.ReadToEnd();
            process.WaitForExit(5000);
            return output;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "";
        }
    }
}
