using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Socks5.Protocol.Tests.Interop;

/// <summary>
/// A long-running peer (a server, a tunnel, a relay) started in its own session through <c>setsid</c>, so that its
/// pid is also its process group id and <see cref="Dispose"/> can stop it and every child it forked, without
/// touching anything else on the machine. Its stdout and stderr go to files in its work folder.
/// </summary>
public sealed class PeerProcess : IDisposable
{
    private readonly Process _process;
    private bool _disposed;

    private PeerProcess(string name, Process process, string stdoutPath, string stderrPath)
    {
        Name = name;
        _process = process;
        Pid = process.Id;
        StdoutPath = stdoutPath;
        StderrPath = stderrPath;
    }

    public string Name { get; }

    /// <summary>The process id, which is also the process group id (setsid).</summary>
    public int Pid { get; }

    public string StdoutPath { get; }

    public string StderrPath { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>Starts <paramref name="program"/> in <paramref name="workDir"/>, stdin from /dev/null, output to NAME.stdout/NAME.stderr.</summary>
    public static PeerProcess Start(string name, string workDir, string program, IEnumerable<string> args, IReadOnlyDictionary<string, string>? env = null)
    {
        string stdout = Path.Combine(workDir, name + ".stdout");
        string stderr = Path.Combine(workDir, name + ".stderr");
        var psi = new ProcessStartInfo("/usr/bin/setsid") { WorkingDirectory = workDir, UseShellExecute = false };
        // setsid execs (no fork: a child of ours is never a group leader), then sh redirects and execs the program:
        // one pid all the way down.
        foreach (string arg in new[] { "sh", "-c", "exec >\"$1\" 2>\"$2\" </dev/null; shift 2; exec \"$@\"", name, stdout, stderr, program })
        {
            psi.ArgumentList.Add(arg);
        }

        foreach (string arg in args)
        {
            psi.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in env ?? new Dictionary<string, string>())
        {
            psi.Environment[key] = value;
        }

        Process process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {program}");
        return new PeerProcess(name, process, stdout, stderr);
    }

    /// <summary>The last lines of both logs, for failure messages.</summary>
    public string LogTail(int maxChars = 2000) =>
        $"--- {Name} (pid {Pid}{(HasExited ? ", exited " + _process.ExitCode : string.Empty)}) stdout:\n{Tail(StdoutPath, maxChars)}\n--- {Name} stderr:\n{Tail(StderrPath, maxChars)}";

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        ProcessGroup.Stop(_process, Pid, TimeSpan.FromSeconds(3));
        _process.Dispose();
    }

    private static string Tail(string path, int maxChars)
    {
        try
        {
            string text = File.ReadAllText(path);
            return text.Length <= maxChars ? text : text[^maxChars..];
        }
        catch (IOException)
        {
            return "(no log)";
        }
    }
}

/// <summary>Signals to a whole process group, by the group leader's own pid (never by name).</summary>
internal static class ProcessGroup
{
    private const int SigKill = 9;
    private const int SigTerm = 15;

    /// <summary>SIGTERM to the group, a grace period, then SIGKILL to the group and the leader's tree.</summary>
    public static void Stop(Process process, int pgid, TimeSpan grace)
    {
        Signal(pgid, SigTerm);
        var deadline = DateTime.UtcNow + grace;
        while (DateTime.UtcNow < deadline && (!process.HasExited || GroupAlive(pgid)))
        {
            Thread.Sleep(50);
        }

        Kill(process, pgid);
    }

    /// <summary>SIGKILL to the group, and to the tree below the leader (children that left the group).</summary>
    public static void Kill(Process process, int pgid)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        Signal(pgid, SigKill);
        process.WaitForExit(2000);
    }

    private static bool GroupAlive(int pgid) => kill(-pgid, 0) == 0;

    private static void Signal(int pgid, int signal)
    {
        // A pid of 1 or less would address far more than our group: refuse.
        if (pgid > 1)
        {
            _ = kill(-pgid, signal);
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);
}
