using System;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading.Tasks;
using Socks5.Protocol.Client;
using Socks5.Protocol.Server;
using Socks5.Protocol.Transport;

namespace Socks5.Server;

/// <summary>The sample server: parse the command line, listen, log each connection, stop cleanly on Ctrl-C or SIGTERM.</summary>
public static class Program
{
    /// <summary>Runs the server until SIGINT or SIGTERM.</summary>
    /// <returns>0 after a clean stop or --help, 1 when a listen endpoint cannot be bound, 2 for bad arguments.</returns>
    public static async Task<int> Main(string[] args)
    {
        ServerArguments? arguments = ServerArguments.Parse(args, out string? error);
        if (arguments is null)
        {
            Console.Error.WriteLine($"socks5-server: {error}");
            Console.Error.WriteLine("Try --help for the options.");
            return ServerArguments.UsageExitCode;
        }

        if (arguments.ShowHelp)
        {
            Console.WriteLine(ServerArguments.Usage);
            return 0;
        }

        if (arguments.InlineCompletions)
        {
            // Read once, when the runtime's socket engine starts: that is at the first socket, which comes later.
            Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");
        }

        var log = new ConnectionLog(Console.Out);
        var stop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true; // we exit ourselves, after the drain
            stop.TrySetResult();
        }

        // Registered before anything listens, so that a signal right after the "listening" line is never lost.
        using PosixSignalRegistration sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using PosixSignalRegistration sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        using var server = new Socks5Server(arguments.ToOptions(log.Write));
        try
        {
            server.Start();
        }
        catch (SocketException e)
        {
            Console.Error.WriteLine($"socks5-server: cannot listen: {e.Message}");
            return 1;
        }

        string authentication = arguments.Users.Count > 0
            ? $"username/password, {arguments.Users.Count} user{(arguments.Users.Count == 1 ? string.Empty : "s")}"
            : "no authentication";
        foreach (IPEndPoint endPoint in server.LocalEndPoints)
        {
            log.WriteLine($"listening on {endPoint} ({authentication})");
        }

        await stop.Task.ConfigureAwait(false);
        log.WriteLine("stopping: no new connections; open tunnels have 5 s to finish");
        await server.StopAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        Socks5ServerStatistics statistics = server.Statistics;
        log.WriteLine($"stopped: {statistics.Accepted} connections accepted, {statistics.Failed} failed, {statistics.Rejected} rejected at the limit");
        return 0;
    }
}
