using System.Diagnostics;
using System.Text;

namespace Socks5.Protocol.Tests.Interop;

/// <summary>What a client program did: its exit code (-1 when killed on timeout), stdout bytes, stderr text.</summary>
public sealed record ClientResult(int ExitCode, byte[] Stdout, string Stderr, bool TimedOut)
{
    public string StdoutText => Encoding.UTF8.GetString(Stdout);

    public override string ToString() =>
        $"exit {ExitCode}{(TimedOut ? " (killed: timeout)" : string.Empty)}\nstdout: {StdoutText}\nstderr: {Stderr}";
}

/// <summary>Runs a program to completion in its own session, feeding stdin; on timeout its whole group is killed.</summary>
public static class ClientProcess
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(20);

    public static async Task<ClientResult> RunAsync(
        string program,
        IEnumerable<string> args,
        string workDir,
        IReadOnlyDictionary<string, string>? env = null,
        byte[]? stdin = null,
        TimeSpan? timeout = null)
    {
        var psi = new ProcessStartInfo("/usr/bin/setsid")
        {
            WorkingDirectory = workDir,
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.ArgumentList.Add(program);
        foreach (string arg in args)
        {
            psi.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in env ?? new Dictionary<string, string>())
        {
            psi.Environment[key] = value;
        }

        using Process process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {program}");
        int pgid = process.Id;
        var stdout = new MemoryStream();
        Task readOut = process.StandardOutput.BaseStream.CopyToAsync(stdout);
        Task<string> readErr = process.StandardError.ReadToEndAsync();
        bool timedOut = false;
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        try
        {
            if (stdin is not null)
            {
                await process.StandardInput.BaseStream.WriteAsync(stdin, cts.Token);
            }

            process.StandardInput.Close();
            await process.WaitForExitAsync(cts.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            timedOut = cts.IsCancellationRequested;
        }

        // Stray children (a proxied curl under proxychains, say) go with the group, whatever happened.
        ProcessGroup.Kill(process, pgid);
        try
        {
            await Task.WhenAll(readOut, readErr).WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (TimeoutException)
        {
            // A grandchild that left the group still holds the pipe: keep what arrived.
        }

        string stderr = readErr.IsCompletedSuccessfully ? readErr.Result : string.Empty;
        return new ClientResult(timedOut || !process.HasExited ? -1 : process.ExitCode, stdout.ToArray(), stderr, timedOut);
    }
}
