using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using Socks5.Protocol.Tests.Interop;

namespace Socks5.Protocol.Tests.Samples;

/// <summary>
/// One of the repository's sample programs running as a real process: <c>dotnet &lt;sample&gt;.dll ARGS</c>, the dll
/// taken from the sample's own bin folder in the configuration these tests were built in (the test project references
/// the samples, so <c>dotnet test</c> builds them first). Its output lines are kept for the test to wait on and assert;
/// <see cref="Dispose"/> kills it if it is still running.
/// </summary>
public sealed class SampleProcess : IDisposable
{
    public const int SigInt = 2;
    public const int SigTerm = 15;

    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly StringBuilder _stderr = new();
    private readonly SemaphoreSlim _newLine = new(0);
    private bool _disposed;

    private SampleProcess(string name, Process process)
    {
        Name = name;
        _process = process;
        _process.OutputDataReceived += (_, e) => Add(e.Data);
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (_stderr)
                {
                    _stderr.AppendLine(e.Data);
                }
            }
        };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Name { get; }

    public int Pid => _process.Id;

    /// <summary>Everything it wrote so far, for assertions and failure messages.</summary>
    public string Log
    {
        get
        {
            lock (_lines)
            {
                lock (_stderr)
                {
                    return $"--- {Name} stdout:\n{string.Join('\n', _lines)}\n--- {Name} stderr:\n{_stderr}";
                }
            }
        }
    }

    /// <summary>
    /// Starts <c>samples/<paramref name="sample"/></c>. Through <c>env --default-signal=INT</c>: a test host started in the
    /// background inherits SIGINT ignored, and .NET keeps an ignored SIGINT ignored, so without the reset a Ctrl-C
    /// test would prove nothing.
    /// </summary>
    public static SampleProcess Start(string sample, params string[] args)
    {
        var psi = new ProcessStartInfo(Peers.Require("env"))
        {
            WorkingDirectory = Path.GetTempPath(),
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string arg in new[] { "--default-signal=INT", DotnetHost(), SampleDll(sample) }.Concat(args))
        {
            psi.ArgumentList.Add(arg);
        }

        Process process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {sample}");
        process.StandardInput.Close();
        return new SampleProcess(sample, process);
    }

    /// <summary>The sample's dll in <c>samples/NAME/bin/CONFIGURATION/net10.0</c>, found from the test's own bin folder.</summary>
    public static string SampleDll(string sample)
    {
        // AppContext.BaseDirectory is <repo>/tests/Socks5.Protocol.Tests/bin/<Configuration>/net10.0/
        var baseDir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string configuration = baseDir.Parent?.Name ?? "Debug";
        string dll = Path.Combine(Repository.RequiredRoot, "samples", sample, "bin", configuration, "net10.0", sample + ".dll");
        return File.Exists(dll)
            ? dll
            : throw new InvalidOperationException($"{dll} is missing: build the solution (dotnet build -c {configuration})");
    }

    /// <summary>The first output line that <paramref name="match"/> accepts, waiting up to <paramref name="timeout"/>.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout, string what)
    {
        using var cts = new CancellationTokenSource(timeout);
        int seen = 0;
        while (true)
        {
            lock (_lines)
            {
                for (; seen < _lines.Count; seen++)
                {
                    if (match(_lines[seen]))
                    {
                        return _lines[seen];
                    }
                }
            }

            if (_process.HasExited)
            {
                _process.WaitForExit(); // the rest of the output
                lock (_lines)
                {
                    if (seen < _lines.Count)
                    {
                        continue;
                    }
                }

                throw new InvalidOperationException($"{Name} exited ({_process.ExitCode}) before printing {what}\n{Log}");
            }

            try
            {
                // Woken by each new line; polled as well, for the exit.
                await _newLine.WaitAsync(TimeSpan.FromMilliseconds(200), cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"{Name} did not print {what} within {timeout.TotalSeconds} s\n{Log}");
            }
        }
    }

    /// <summary>Sends <paramref name="signal"/> to the process (by its own pid).</summary>
    public void Signal(int signal)
    {
        if (!_process.HasExited && Pid > 1 && kill(Pid, signal) != 0)
        {
            throw new InvalidOperationException($"kill({Pid}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>The exit code, or a failure with the log when it has not exited within <paramref name="timeout"/>.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{Name} still running after {timeout.TotalSeconds} s\n{Log}");
        }

        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            _process.WaitForExit(5000);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        // _newLine stays: an output event may still be on its way, and a SemaphoreSlim holds nothing to release.
        _process.Dispose();
    }

    private static string DotnetHost()
    {
        // The SDK sets DOTNET_HOST_PATH for what it runs; otherwise the dotnet on PATH.
        string? host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        return host is not null && File.Exists(host) ? host : Peers.Find("dotnet") ?? "dotnet";
    }

    private void Add(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_lines)
        {
            _lines.Add(line);
        }

        _newLine.Release();
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);
}
