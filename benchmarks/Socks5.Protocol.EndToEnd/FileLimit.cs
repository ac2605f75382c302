using System.Runtime.InteropServices;

namespace Socks5.Protocol.EndToEnd;

/// <summary>
/// RLIMIT_NOFILE: 10,000 idle tunnels are 20,000 descriptors in the harness (it holds the client and the target end of
/// each) and as many in the proxy. The harness raises its own limit at start when it is too low for what was asked; the
/// proxies it starts inherit it. Raising the hard limit needs CAP_SYS_RESOURCE: root has it, but a container may drop it
/// (the benchmark machine's did, with a hard limit of 20,000, so 10,000 tunnels cannot run there: 9,700 can).
/// </summary>
internal static partial class FileLimit
{
    private const int RlimitNofile = 7; // Linux, every architecture .NET runs on

    /// <summary>Makes sure the soft limit is at least <paramref name="needed"/>; null when it is, else why it could not be.</summary>
    public static string? Ensure(int needed)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        if (GetRLimit(RlimitNofile, out RLimit limit) != 0)
        {
            return $"getrlimit(RLIMIT_NOFILE) failed: errno {Marshal.GetLastPInvokeError()}";
        }

        if (limit.Current >= (ulong)needed)
        {
            return null;
        }

        var raised = new RLimit { Current = (ulong)needed, Maximum = Math.Max(limit.Maximum, (ulong)needed) };
        if (SetRLimit(RlimitNofile, in raised) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            return $"this run needs {needed} open files (RLIMIT_NOFILE, `ulimit -n`) and the limit is {limit.Current} (hard {limit.Maximum}); " +
                $"raising it failed with errno {errno} (raising the hard limit needs CAP_SYS_RESOURCE, which a container may drop even for root): " +
                "run fewer tunnels, or raise the limit first (`prlimit --nofile=N:N`, the container's ulimit settings)";
        }

        Console.WriteLine($"RLIMIT_NOFILE raised from {limit.Current} (hard {limit.Maximum}) to {needed} for this run and the proxies it starts");
        return null;
    }

    [LibraryImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    private static partial int GetRLimit(int resource, out RLimit limit);

    [LibraryImport("libc", EntryPoint = "setrlimit", SetLastError = true)]
    private static partial int SetRLimit(int resource, in RLimit limit);

    [StructLayout(LayoutKind.Sequential)]
    private struct RLimit
    {
        public ulong Current;
        public ulong Maximum;
    }
}
