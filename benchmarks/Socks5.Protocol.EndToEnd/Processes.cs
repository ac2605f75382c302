using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Socks5.Protocol.EndToEnd;

/// <summary>
/// A process this harness started (a peer proxy or our own server host). Every one is registered so that a normal end,
/// an exception, Ctrl-C or SIGTERM all kill it.
/// </summary>
internal sealed class ChildProcess : IDisposable
{
    private static readonly List<ChildProcess> s_running = new();
    private readonly Process _process;

    private ChildProcess(string name, Process process, string log)
    {
        Name = name;
        _process = process;
        LogPath = log;
    }

    public string Name { get; }

    public int Pid => _process.Id;

    public string LogPath { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>Our server host talks on stdin/stdout; only set for processes started with a control channel.</summary>
    public StreamWriter? Control => _process.StartInfo.RedirectStandardInput ? _process.StandardInput : null;

    public StreamReader? Answers => _process.StartInfo.RedirectStandardOutput ? _process.StandardOutput : null;

    /// <summary>
    /// Starts a program with its output going to a log file and its input closed (through <c>sh -c exec</c>, so the PID is
    /// the program's own).
    /// </summary>
    public static ChildProcess StartLogged(string name, string program, IEnumerable<string> arguments, string log)
    {
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("exec \"$0\" \"$@\" </dev/null >>\"$LOGFILE\" 2>&1");
        start.ArgumentList.Add(program);
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["LOGFILE"] = log;
        return Register(name, start, log);
    }

    /// <summary>Starts a program whose stdin and stdout the harness keeps (a control channel); stderr goes to the log.</summary>
    public static ChildProcess StartControlled(string name, string program, IEnumerable<string> arguments, string log, IReadOnlyDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo(program)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (KeyValuePair<string, string> variable in environment)
        {
            start.Environment[variable.Key] = variable.Value;
        }

        ChildProcess child = Register(name, start, log);
        child._process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (child)
                {
                    File.AppendAllText(log, e.Data + Environment.NewLine);
                }
            }
        };
        child._process.BeginErrorReadLine();
        return child;
    }

    private static ChildProcess Register(string name, ProcessStartInfo start, string log)
    {
        lock (s_running)
        {
            Process process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {name}");
            var child = new ChildProcess(name, process, log);
            s_running.Add(child);
            return child;
        }
    }

    /// <summary>Kills every process still registered (the last guard on Ctrl-C, SIGTERM and unhandled exceptions).</summary>
    public static void KillAll()
    {
        ChildProcess[] all;
        lock (s_running)
        {
            all = s_running.ToArray();
        }

        foreach (ChildProcess child in all)
        {
            child.Dispose();
        }
    }

    /// <summary>Waits until something listens on 127.0.0.1:<paramref name="port"/> (read from /proc/net/tcp: no probe connection).</summary>
    public async Task WaitListeningAsync(int port, TimeSpan timeout)
    {
        var stopwatch = Stopwatch.StartNew();
        while (!IsListening(port))
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited with code {_process.ExitCode} before listening; see {LogPath}:{Environment.NewLine}{Tail(LogPath)}");
            }

            if (stopwatch.Elapsed > timeout)
            {
                throw new TimeoutException($"{Name} did not listen on port {port} within {timeout.TotalSeconds} s; see {LogPath}");
            }

            await Task.Delay(20);
        }
    }

    /// <summary>Resident memory of this process and all its descendants (VmRSS from /proc/PID/status), in bytes.</summary>
    public long TreeRssBytes() => ProcFs.TreeRssBytes(Pid);

    /// <summary>How many processes the tree has now (danted forks helpers).</summary>
    public int TreeSize() => ProcFs.Descendants(Pid).Count + 1;

    /// <summary>CPU seconds used so far by this process and its descendants.</summary>
    public double TreeCpuSeconds() => ProcFs.TreeCpuSeconds(Pid);

    public void Dispose()
    {
        lock (s_running)
        {
            s_running.Remove(this);
        }

        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        catch (System.ComponentModel.Win32Exception)
        {
        }

        _process.Dispose();
    }

    private static bool IsListening(int port)
    {
        string wanted = ":" + port.ToString("X4", CultureInfo.InvariantCulture);
        foreach (string file in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            if (!File.Exists(file))
            {
                continue;
            }

            foreach (string line in File.ReadLines(file).Skip(1))
            {
                string[] fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length > 3 && fields[3] == "0A" && fields[1].EndsWith(wanted, StringComparison.Ordinal))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static string Tail(string path)
    {
        try
        {
            string[] lines = File.ReadAllLines(path);
            return string.Join(Environment.NewLine, lines.Skip(Math.Max(0, lines.Length - 15)));
        }
        catch (IOException)
        {
            return "";
        }
    }
}

/// <summary>Small readers of /proc.</summary>
internal static class ProcFs
{
    public static long RssBytes(int pid) => StatusKib(pid, "VmRSS:") * 1024;

    /// <summary>The most resident memory the process has had (VmHWM) since it started or since <see cref="ResetHighWater"/>.</summary>
    public static long HighWaterBytes(int pid) => StatusKib(pid, "VmHWM:") * 1024;

    /// <summary>Resets the process's VmHWM to its current RSS (writing 5 to /proc/PID/clear_refs; Linux 4.0+, our own processes).</summary>
    public static void ResetHighWater(int pid)
    {
        try
        {
            File.WriteAllText($"/proc/{pid}/clear_refs", "5");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Then the high-water mark is the process's lifetime peak, and the samples are what counts.
        }
    }

    public static long TreeRssBytes(int pid)
    {
        long total = RssBytes(pid);
        foreach (int child in Descendants(pid))
        {
            total += RssBytes(child);
        }

        return total;
    }

    /// <summary>
    /// CPU time (user + system) of a process and its live descendants, including what their reaped children used, in
    /// seconds (clock ticks of 10 ms).
    /// </summary>
    public static double TreeCpuSeconds(int pid)
    {
        long ticks = CpuTicks(pid);
        foreach (int child in Descendants(pid))
        {
            ticks += CpuTicks(child);
        }

        return ticks / 100.0;
    }

    public static List<int> Descendants(int root)
    {
        var parents = new Dictionary<int, int>();
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
            {
                continue;
            }

            try
            {
                // /proc/PID/stat: "pid (comm) state ppid ..."; comm may hold spaces and parentheses, so split after the last ')'.
                string stat = File.ReadAllText(Path.Combine(dir, "stat"));
                string[] rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                parents[pid] = int.Parse(rest[1], CultureInfo.InvariantCulture);
            }
            catch (IOException)
            {
                // The process ended while we looked.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        var result = new List<int>();
        var frontier = new Queue<int>();
        frontier.Enqueue(root);
        while (frontier.Count > 0)
        {
            int parent = frontier.Dequeue();
            foreach (KeyValuePair<int, int> entry in parents)
            {
                if (entry.Value == parent)
                {
                    result.Add(entry.Key);
                    frontier.Enqueue(entry.Key);
                }
            }
        }

        return result;
    }

    public static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "?";
        }
    }

    // Fields 14-17 of /proc/PID/stat: utime, stime, cutime, cstime (all threads of the process).
    private static long CpuTicks(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            string[] rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return Enumerable.Range(11, 4).Sum(i => long.Parse(rest[i], CultureInfo.InvariantCulture));
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private static long StatusKib(int pid, string key)
    {
        try
        {
            foreach (string line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith(key, StringComparison.Ordinal))
                {
                    return long.Parse(line[key.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
                }
            }
        }
        catch (IOException)
        {
        }

        return 0;
    }
}

/// <summary>Loopback ports.</summary>
internal static class Ports
{
    /// <summary>A port that was free a moment ago (bind 0, read it, close).</summary>
    public static int Free()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    /// <summary>Finds a program in PATH (and the sbin folders, where danted lives), or null.</summary>
    public static string? FindProgram(string name)
    {
        string path = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (string dir in path.Split(':').Concat(new[] { "/usr/sbin", "/sbin", "/usr/local/sbin" }))
        {
            string candidate = Path.Combine(dir, name);
            if (dir.Length > 0 && File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
