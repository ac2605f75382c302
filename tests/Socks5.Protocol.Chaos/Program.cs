using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Socks5.Protocol.Server;
using Socks5.Protocol.Transport;

namespace Socks5.Protocol.Chaos;

/// <summary>
/// Chaos and load: our server in-process on loopback, many tunnels at once to loopback targets, each moving its own
/// seeded stream both ways (SHA-256 compared at both ends), some clients and some targets reset mid-transfer. Then every
/// surviving tunnel's bytes must have arrived whole at its own peer, the server must have reported every reset tunnel,
/// the process's sockets, threads and relay buffer budget must return to where they were, and a new tunnel must still
/// be served. Exits 1 on any violation, printing a short summary either way. See README.md ("Chaos and load").
/// </summary>
internal static class Program
{
    // Threads the runtime may keep after a load (a timer, a thread-pool thread not yet retired): a leak of one thread per
    // tunnel, or per reset, would be hundreds.
    private const int ThreadSlack = 4;

    public static async Task<int> Main(string[] args)
    {
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

        var violations = new ConcurrentQueue<string>();
        using var timeout = new CancellationTokenSource(settings.Timeout * 3);
        CancellationToken cancellationToken = timeout.Token;

        // Tunnels are found by the client's port, which the server's report names.
        var byPort = new ConcurrentDictionary<int, Tunnel>();
        Tunnel[] tunnels = Plan(settings);
        var options = new Socks5ServerOptions
        {
            MaxConnections = settings.Tunnels + 64,

            // A machine shared with other work may take long over a handshake or a loopback connect while every tunnel
            // moves bytes; those are not what this run checks.
            HandshakeTimeout = TimeSpan.FromSeconds(60),
            ConnectTimeout = TimeSpan.FromSeconds(60),
            RelayBufferBudget = settings.RelayBudget,
            RelaySplice = settings.Splice,
            ConnectionClosed = report =>
            {
                if (report.Client is IPEndPoint client && byPort.TryGetValue(client.Port, out Tunnel? tunnel))
                {
                    tunnel.Report.TrySetResult((report, Stopwatch.GetTimestamp()));
                }
            },
        };
        options.ListenEndPoints.Add(new IPEndPoint(IPAddress.Loopback, 0));
        using var server = new Socks5Server(options);
        server.Start();
        IPEndPoint proxy = server.LocalEndPoints[0];
        RelayBufferBudget budget = server.RelayBudget;

        // The targets: one listener whose connections each serve the tunnel their header names.
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(4096);
        var target = (IPEndPoint)listener.LocalEndPoint!;
        var targetTasks = new ConcurrentBag<Task>();
        Task accepting = AcceptAsync(listener, tunnels, settings.Seed, violations, targetTasks, cancellationToken);

        // A first tunnel warms everything up (thread pool, socket engine) before the baseline is taken.
        await CheckOneTunnelAsync("the warm-up tunnel", proxy, target, settings, violations, cancellationToken);
        int baseSockets = Probes.Sockets();
        int baseThreads = Probes.Threads();
        long baseBudget = budget.InUse;

        var watch = Stopwatch.StartNew();
        await RunTunnelsAsync(tunnels, proxy, target, byPort, settings.Seed, cancellationToken);
        await WaitAsync(targetTasks, settings.Timeout, "the targets' ends", violations);
        TimeSpan transfer = watch.Elapsed;
        await WaitAsync(tunnels.Select(t => (Task)t.Report.Task), settings.Timeout, "the server's reports", violations);
        CheckTunnels(tunnels, options.HalfCloseTimeout, violations, out long bytes, out List<(Kill, TimeSpan)> notices);

        // Back to the baseline: every tunnel's sockets closed, idle threads retired, every grown buffer given back.
        long budgetPeak = budget.Peak;
        int peakThreads = 0;
        (int sockets, int threads, long inUse, int active) = (0, 0, 0, 0);
        var settle = Stopwatch.StartNew();
        while (true)
        {
            (sockets, threads, inUse, active) = (Probes.Sockets(), Probes.Threads(), budget.InUse, server.Statistics.Active);
            peakThreads = Math.Max(peakThreads, threads);
            if ((sockets <= baseSockets && threads <= baseThreads + ThreadSlack && inUse == baseBudget && active == 0) || settle.Elapsed > TimeSpan.FromSeconds(30))
            {
                break;
            }

            await Task.Delay(250);
        }

        if (sockets > baseSockets)
        {
            violations.Enqueue($"sockets: {sockets} open, {baseSockets} before the tunnels");
        }

        if (threads > baseThreads + ThreadSlack)
        {
            violations.Enqueue($"threads: {threads}, {baseThreads} before the tunnels");
        }

        if (inUse != baseBudget)
        {
            violations.Enqueue($"relay buffer budget: {inUse} bytes in use after every tunnel ended");
        }

        if (active != 0)
        {
            violations.Enqueue($"the server still counts {active} active connections");
        }

        await CheckOneTunnelAsync("a tunnel after the run", proxy, target, settings, violations, cancellationToken);
        listener.Close();
        await accepting;

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"chaos: {settings.Tunnels} tunnels ({tunnels.Count(t => t.Survives)} whole, {tunnels.Count(t => t.Kill == Kill.Client)} clients and {tunnels.Count(t => t.Kill == Kill.Target)} targets reset), {bytes / (1024.0 * 1024):F0} MiB relayed in {transfer.TotalSeconds:F1} s"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  peak working set {Probes.PeakWorkingSet() / (1024.0 * 1024):F0} MiB; GC may use {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024.0 * 1024):F0} MiB; relay buffer budget peak {budgetPeak / (1024.0 * 1024):F1} of {budget.Limit / (1024.0 * 1024):F1} MiB"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  after: sockets {baseSockets} -> {sockets}, threads {baseThreads} -> {threads} (peak seen settling {peakThreads}), budget in use {inUse}"));
        Console.WriteLine("  resets noticed by the server after (median, slowest): " + Notices(notices, Kill.Client) + " when the client was reset, " + Notices(notices, Kill.Target) + " the target");
        foreach (string violation in violations.Take(20))
        {
            Console.WriteLine("  VIOLATION: " + violation);
        }

        Console.WriteLine(violations.IsEmpty ? "  OK" : $"  {violations.Count} violation(s)");
        return violations.IsEmpty ? 0 : 1;
    }

    // Sizes drawn from the seed; the first kill-percent of a shuffled order reset their client, the next their target.
    private static Tunnel[] Plan(Settings settings)
    {
        var random = new Random(settings.Seed);
        int[] order = Enumerable.Range(0, settings.Tunnels).ToArray();
        random.Shuffle(order);
        int kills = settings.Tunnels * settings.KillPercent / 100;
        var tunnels = new Tunnel[settings.Tunnels];
        for (int i = 0; i < order.Length; i++)
        {
            Kill kill = i < kills ? Kill.Client : i < 2 * kills ? Kill.Target : Kill.None;
            int id = order[i];
            tunnels[id] = new Tunnel(id, random.NextInt64(settings.BytesMin, settings.BytesMax + 1), random.NextInt64(settings.BytesMin, settings.BytesMax + 1), kill, 0.1 + (0.8 * random.NextDouble()));
        }

        return tunnels;
    }

    // Every tunnel connects and shakes hands (a hundred at a time, so that the listen queue does not overflow), and only
    // when all are up do they all start moving bytes: the load is every tunnel at once.
    private static async Task RunTunnelsAsync(Tunnel[] tunnels, IPEndPoint proxy, IPEndPoint target, ConcurrentDictionary<int, Tunnel> byPort, int seed, CancellationToken cancellationToken)
    {
        using var connecting = new SemaphoreSlim(100);
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int waiting = tunnels.Length;
        var runs = new Task[tunnels.Length];
        for (int i = 0; i < tunnels.Length; i++)
        {
            Tunnel tunnel = tunnels[i];
            runs[i] = Task.Run(() => tunnel.RunClientAsync(proxy, target, connecting, port =>
            {
                if (port != 0)
                {
                    byPort[port] = tunnel;
                }

                if (Interlocked.Decrement(ref waiting) == 0)
                {
                    go.TrySetResult();
                }
            }, go.Task, seed, cancellationToken));
        }

        await Task.WhenAll(runs);
    }

    private static async Task AcceptAsync(Socket listener, Tunnel[] tunnels, int seed, ConcurrentQueue<string> violations, ConcurrentBag<Task> served, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                Socket socket = await listener.AcceptAsync(cancellationToken);
                served.Add(Task.Run(() => Tunnel.ServeTargetAsync(socket, tunnels, seed, violations.Enqueue, cancellationToken)));
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The listener was closed: the run is over.
        }
    }

    private static async Task CheckOneTunnelAsync(string name, IPEndPoint proxy, IPEndPoint target, Settings settings, ConcurrentQueue<string> violations, CancellationToken cancellationToken)
    {
        // Tunnels are told apart by id: this one takes the id after the run's.
        var tunnel = new Tunnel(settings.Tunnels, 64 * 1024, 64 * 1024, Kill.None, 0);
        Tunnel[] one = new Tunnel[settings.Tunnels + 1];
        one[settings.Tunnels] = tunnel;
        using var single = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        single.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        single.Listen(1);
        Task<Socket> accepted = single.AcceptAsync(cancellationToken).AsTask();
        using var connecting = new SemaphoreSlim(1);
        Task client = tunnel.RunClientAsync(proxy, (IPEndPoint)single.LocalEndPoint!, connecting, _ => { }, Task.CompletedTask, settings.Seed, cancellationToken);
        try
        {
            Task targetEnd = Tunnel.ServeTargetAsync(await accepted.WaitAsync(settings.Timeout, cancellationToken), one, settings.Seed, violations.Enqueue, cancellationToken);
            await Task.WhenAll(client, targetEnd).WaitAsync(settings.Timeout, cancellationToken);
        }
        catch (Exception ex)
        {
            tunnel.Problem ??= ex.GetType().Name + ": " + ex.Message;
        }

        if (tunnel.Problem is not null || !Whole(tunnel))
        {
            violations.Enqueue($"{name} was not served: {tunnel.Problem ?? "its bytes did not arrive whole"}");
        }
    }

    private static string Notices(List<(Kill Side, TimeSpan After)> notices, Kill side)
    {
        double[] seconds = notices.Where(n => n.Side == side).Select(n => n.After.TotalSeconds).Order().ToArray();
        return seconds.Length == 0 ? "-" : string.Create(CultureInfo.InvariantCulture, $"{seconds[seconds.Length / 2]:F2} s, {seconds[^1]:F2} s");
    }

    private static async Task WaitAsync(IEnumerable<Task> tasks, TimeSpan timeout, string what, ConcurrentQueue<string> violations)
    {
        try
        {
            await Task.WhenAll(tasks).WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            violations.Enqueue($"{what} did not all end within {timeout.TotalSeconds} s");
        }
    }

    private static bool Whole(Tunnel t) =>
        t.ReceivedAtTargetCount == t.ToTarget && t.ReceivedAtClientCount == t.ToClient
        && t.SentToTarget is not null && t.ReceivedAtTarget is not null && t.SentToTarget.AsSpan().SequenceEqual(t.ReceivedAtTarget)
        && t.SentToClient is not null && t.ReceivedAtClient is not null && t.SentToClient.AsSpan().SequenceEqual(t.ReceivedAtClient);

    private static void CheckTunnels(Tunnel[] tunnels, TimeSpan noticeLimit, ConcurrentQueue<string> violations, out long bytes, out List<(Kill, TimeSpan)> notices)
    {
        bytes = 0;
        notices = new List<(Kill, TimeSpan)>();
        foreach (Tunnel t in tunnels)
        {
            bytes += t.ReceivedAtTargetCount + t.ReceivedAtClientCount;
            bool reported = t.Report.Task.IsCompletedSuccessfully;
            if (t.Survives)
            {
                if (t.Problem is not null)
                {
                    violations.Enqueue($"tunnel {t.Id}: {t.Problem}");
                }
                else if (!Whole(t))
                {
                    violations.Enqueue($"tunnel {t.Id}: its bytes did not arrive whole at its own peer ({t.ReceivedAtTargetCount} of {t.ToTarget} at the target, {t.ReceivedAtClientCount} of {t.ToClient} at the client, or a hash differs)");
                }

                if (!reported)
                {
                    violations.Enqueue($"tunnel {t.Id}: no report from the server");
                }
                else if (t.Report.Task.Result.Report is var report
                    && (!report.Succeeded || report.BytesFromClient != Tunnel.HeaderSize + t.ToTarget || report.BytesToClient != t.ToClient))
                {
                    violations.Enqueue($"tunnel {t.Id}: the server reported reply {report.ReplyCode}, {report.BytesFromClient} bytes from the client and {report.BytesToClient} to it, error {report.Error?.Message ?? "none"}");
                }
            }
            else if (!reported)
            {
                violations.Enqueue($"tunnel {t.Id}: its {t.Kill} was reset but the server never reported the connection closed");
            }
            else if (t.KilledAt == 0)
            {
                violations.Enqueue($"tunnel {t.Id}: meant to reset its {t.Kill} but never did ({t.Problem})");
            }
            else
            {
                TimeSpan notice = Stopwatch.GetElapsedTime(t.KilledAt, Math.Max(t.KilledAt, t.Report.Task.Result.At));
                notices.Add((t.Kill, notice));
                if (notice > noticeLimit)
                {
                    // The reset peer's socket reports the reset at once; the half-close bound is the longest any end of
                    // a tunnel may outlive the other.
                    violations.Enqueue($"tunnel {t.Id}: the server took {notice.TotalSeconds:F1} s to notice its {t.Kill}'s reset");
                }
            }
        }
    }
}
