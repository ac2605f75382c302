using System.Diagnostics;

namespace Socks5.Protocol.Chaos;

/// <summary>What the process holds: its sockets (Linux: the /proc/self/fd entries that are sockets) and threads.</summary>
internal static class Probes
{
    /// <summary>Open socket descriptors, or -1 where /proc/self/fd does not exist.</summary>
    public static int Sockets()
    {
        if (!Directory.Exists("/proc/self/fd"))
        {
            return -1;
        }

        int count = 0;
        foreach (string fd in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            try
            {
                if (new FileInfo(fd).LinkTarget is string target && target.StartsWith("socket:", StringComparison.Ordinal))
                {
                    count++;
                }
            }
            catch (IOException)
            {
                // Closed while we looked (the enumeration's own descriptor among them).
            }
        }

        return count;
    }

    public static int Threads()
    {
        using Process self = Process.GetCurrentProcess();
        return self.Threads.Count;
    }

    public static long PeakWorkingSet()
    {
        using Process self = Process.GetCurrentProcess();
        return self.PeakWorkingSet64;
    }
}
