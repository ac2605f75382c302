using System.Runtime.InteropServices;

namespace Socks5.Protocol.EndToEnd;

/// <summary>
/// End-to-end benchmarks: bulk relay throughput, CONNECT handshake rate and idle-tunnel memory of our server, against no
/// proxy at all (the limit), socat, danted and microsocks, all on loopback in one run. See benchmarks/README.md.
/// </summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "--serve")
        {
            return await ServeMode.RunAsync(args);
        }

        if (args.Length > 0 && args[0] == "--serve-naive")
        {
            return await NaiveServer.RunAsync(args);
        }

        Settings settings;
        try
        {
            settings = Settings.Parse(args);
        }
        catch (ArgumentException ex)
        {
            Console.Error.WriteLine(ex.Message);
            Console.Error.WriteLine(Settings.Usage);
            return 2;
        }

        if (FileLimit.Ensure(settings.FileDescriptorsNeeded()) is { } limitError)
        {
            Console.Error.WriteLine(limitError);
            return 2;
        }

        using var cancel = new CancellationTokenSource();
        string scratch = Directory.CreateTempSubdirectory("socks5-e2e-").FullName;

        // Ctrl-C, SIGTERM, SIGHUP, SIGQUIT: stop every peer at once, then let the runtime end the process as usual.
        var signals = new List<PosixSignalRegistration>();
        foreach (PosixSignal signal in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM, PosixSignal.SIGHUP, PosixSignal.SIGQUIT })
        {
            signals.Add(PosixSignalRegistration.Create(signal, _ =>
            {
                cancel.Cancel();
                ChildProcess.KillAll();
                if (!settings.KeepScratch)
                {
                    DeleteScratch(scratch);
                }
            }));
        }

        AppDomain.CurrentDomain.ProcessExit += (_, _) => ChildProcess.KillAll();
        AppDomain.CurrentDomain.UnhandledException += (_, _) => ChildProcess.KillAll();

        try
        {
            var env = new Environs(scratch);
            foreach (KeyValuePair<string, string> variable in settings.OursEnvironment)
            {
                env.OursEnvironment[variable.Key] = variable.Value;
            }

            var run = new BenchmarkRun(settings, env, cancel.Token);
            return await run.ExecuteAsync();
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            Console.Error.WriteLine("cancelled");
            return 130;
        }
        finally
        {
            ChildProcess.KillAll();
            foreach (PosixSignalRegistration registration in signals)
            {
                registration.Dispose();
            }

            if (!settings.KeepScratch)
            {
                DeleteScratch(scratch);
            }
            else
            {
                Console.WriteLine($"configs and logs kept in {scratch}");
            }
        }
    }

    private static void DeleteScratch(string scratch)
    {
        try
        {
            Directory.Delete(scratch, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
