using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Socks5.Protocol.EndToEnd;

/// <summary>One variant's results: a value per round, and the median that the tables report.</summary>
internal sealed class Series
{
    public Series(string name)
    {
        Name = name;
    }

    public string Name { get; }

    public List<double> Rounds { get; } = new();

    public List<string> Notes { get; } = new();

    /// <summary>The proxy's CPU time per unit of work in each round (empty for the no-proxy row).</summary>
    public List<double> Cpu { get; } = new();

    /// <summary>Our servers' and the naive server's thread-pool work items per handshake in each round (handshake rows).</summary>
    public List<double> WorkItems { get; } = new();

    /// <summary>Their managed bytes allocated per handshake in each round (handshake rows).</summary>
    public List<double> AllocatedBytes { get; } = new();

    /// <summary>Work items · bytes per handshake, medians, for a table cell (empty for a row without them).</summary>
    public string WorkCell => WorkItems.Count == 0 ? "" : $"{MedianOf(WorkItems):F1} · {MedianOf(AllocatedBytes):F0}";

    /// <summary>The proxy's peak RSS in MiB in each round (bulk scale runs only).</summary>
    public List<double> PeakRss { get; } = new();

    public double CpuMedian => MedianOf(Cpu);

    public double Median => MedianOf(Rounds);

    public double Min => Rounds.Count == 0 ? double.NaN : Rounds.Min();

    public double Max => Rounds.Count == 0 ? double.NaN : Rounds.Max();

    private static double MedianOf(List<double> values)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        double[] sorted = values.Order().ToArray();
        int mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}

/// <summary>
/// The peak resident memory of a process tree while it works: the tree's VmRSS summed every 50 ms (the processes are the
/// ones alive when sampling starts: socat's and danted's children for tunnels already open), and the root's VmHWM, reset
/// through /proc/PID/clear_refs at the start, which catches a peak of a single-process server between two samples.
/// </summary>
internal sealed class PeakRssSampler : IDisposable
{
    private readonly int _root;
    private readonly List<int> _pids;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private long _peak;

    public PeakRssSampler(int root)
    {
        _root = root;
        _pids = ProcFs.Descendants(root);
        _pids.Add(root);
        ProcFs.ResetHighWater(root);
        _peak = Sample();
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>Stops sampling; the peak in bytes.</summary>
    public async Task<long> StopAsync()
    {
        _stop.Cancel();
        await _loop;
        return Math.Max(Math.Max(_peak, Sample()), ProcFs.HighWaterBytes(_root));
    }

    public void Dispose()
    {
        _stop.Cancel();
        _stop.Dispose();
    }

    private long Sample() => _pids.Sum(ProcFs.RssBytes);

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            _peak = Math.Max(_peak, Sample());
            try
            {
                await Task.Delay(50, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}

/// <summary>The three whole-system measurements.</summary>
internal static class Measurements
{
    public const string Direct = "direct (no proxy)";
    public const string PlainConnect = "plain TCP connect (no proxy)";
    private static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Bulk throughput of one tunnel: the client sends <paramref name="bytes"/> in 128 KiB writes; the clock runs from the
    /// first write until the sink has read the last byte. The tunnel (and its handshake) is open before the clock starts.
    /// Returns MiB/s and the proxy's CPU seconds over the same span (NaN without a proxy).
    /// </summary>
    public static async Task<(double MibPerSecond, double CpuSeconds)> BulkOnceAsync(Proxy? proxy, BulkSink sink, long bytes, CancellationToken cancellationToken)
    {
        BulkRound round = await BulkAsync(proxy, sink, bytes, 1, sampleRss: false, cancellationToken);
        return (round.MibPerSecond, round.CpuSeconds);
    }

    /// <summary>What one bulk round measured: aggregate MiB/s, the proxy's CPU seconds, its peak RSS in bytes (0 unsampled).</summary>
    public readonly record struct BulkRound(double MibPerSecond, double CpuSeconds, long PeakRssBytes);

    /// <summary>
    /// Bulk throughput of <paramref name="tunnels"/> tunnels at once, each moving <paramref name="bytes"/> ÷ tunnels in
    /// 128 KiB writes; the clock runs from the first write until the sink has read the last byte of every tunnel (all are
    /// open before it starts). With <paramref name="sampleRss"/> also the proxy's peak RSS over the same span: its process
    /// tree sampled every 50 ms, and the root process's own high-water mark (VmHWM, reset at the start) in case a peak fell
    /// between samples.
    /// </summary>
    public static async Task<BulkRound> BulkAsync(Proxy? proxy, BulkSink sink, long bytes, int tunnels, bool sampleRss, CancellationToken cancellationToken)
    {
        long each = bytes / tunnels;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(StepTimeout + TimeSpan.FromSeconds(bytes / (16.0 * 1024 * 1024)));
        var clients = new List<Socket>(tunnels);
        var servers = new List<Socket>(tunnels);
        try
        {
            for (int i = 0; i < tunnels; i++)
            {
                Task<Socket> accepted = sink.AcceptAsync(timeout.Token);
                clients.Add(await Loopback.OpenAsync(proxy, sink.EndPoint, timeout.Token));
                servers.Add(await accepted);
            }

            byte[] chunk = new byte[128 * 1024];
            Random.Shared.NextBytes(chunk);
            using PeakRssSampler? rss = sampleRss && proxy is not null ? new PeakRssSampler(proxy.Process.Pid) : null;
            double cpuBefore = proxy?.Process.TreeCpuSeconds() ?? double.NaN;
            var stopwatch = Stopwatch.StartNew();
            Task[] drained = servers.Select(server => (Task)sink.DrainAsync(server, each, timeout.Token)).ToArray();
            Task[] sent = clients.Select(client => SendAsync(client, each, chunk, timeout.Token)).ToArray();
            await Task.WhenAll(sent.Concat(drained));
            stopwatch.Stop();
            double cpu = (proxy?.Process.TreeCpuSeconds() ?? double.NaN) - cpuBefore;
            long peak = rss is null ? 0 : await rss.StopAsync();
            return new BulkRound(each * tunnels / stopwatch.Elapsed.TotalSeconds / (1024 * 1024), cpu, peak);
        }
        finally
        {
            CloseAll(clients);
            CloseAll(servers);
        }

        static async Task SendAsync(Socket client, long bytes, byte[] chunk, CancellationToken cancellationToken)
        {
            long left = bytes;
            while (left > 0)
            {
                int n = (int)Math.Min(chunk.Length, left);
                await Loopback.SendAllAsync(client, chunk.AsMemory(0, n), cancellationToken);
                left -= n;
            }
        }
    }

    /// <summary>
    /// Handshakes per second: <paramref name="clients"/> loops, each connecting to the proxy, doing greeting and CONNECT to
    /// the accept-and-close target, reading the reply and closing (a FIN, or a reset when <paramref name="reset"/>), for
    /// <paramref name="duration"/>. With no proxy each loop only connects to the target and closes (the limit). Also returns the proxy's CPU seconds per
    /// handshake (NaN without a proxy).
    /// </summary>
    public static async Task<(double Rate, long Failures, double CpuPerHandshake)> HandshakesAsync(Proxy? proxy, IPEndPoint target, int clients, TimeSpan duration, bool reset, CancellationToken cancellationToken)
    {
        long done = 0;
        long failed = 0;
        double cpuBefore = proxy?.Process.TreeCpuSeconds() ?? double.NaN;
        var stopwatch = Stopwatch.StartNew();

        async Task LoopAsync()
        {
            byte[] scratch = new byte[16];
            while (stopwatch.Elapsed < duration && !cancellationToken.IsCancellationRequested)
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(TimeSpan.FromSeconds(10));
                Socket socket = Loopback.NewSocket();
                try
                {
                    await socket.ConnectAsync(proxy?.EndPoint ?? target, timeout.Token);
                    if (proxy is not null)
                    {
                        await Loopback.HandshakeAsync(socket, target, scratch, timeout.Token);
                    }

                    Interlocked.Increment(ref done);
                }
                catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException)
                {
                    Interlocked.Increment(ref failed);
                }
                finally
                {
                    if (reset)
                    {
                        Loopback.Abort(socket);
                    }
                    else
                    {
                        socket.Dispose();
                    }
                }
            }
        }

        Task[] loops = Enumerable.Range(0, clients).Select(_ => Task.Run(LoopAsync)).ToArray();
        await Task.WhenAll(loops);
        stopwatch.Stop();
        cancellationToken.ThrowIfCancellationRequested();
        double cpu = (proxy?.Process.TreeCpuSeconds() ?? double.NaN) - cpuBefore;
        long count = Interlocked.Read(ref done);
        return (count / stopwatch.Elapsed.TotalSeconds, Interlocked.Read(ref failed), cpu / Math.Max(1, count));
    }

    /// <summary>
    /// Opens <paramref name="count"/> tunnels through <paramref name="proxy"/> to the echo-once target, 16 at a time, each
    /// moving <see cref="EchoOnceHoldTarget.ExchangeBytes"/> both ways (so both relay directions have used their buffers),
    /// and returns the open, now idle, client sockets.
    /// </summary>
    public static async Task<List<Socket>> OpenIdleTunnelsAsync(Proxy proxy, EchoOnceHoldTarget target, int count, CancellationToken cancellationToken)
    {
        var sockets = new List<Socket>(count);
        int next = 0;

        async Task LoopAsync()
        {
            byte[] data = new byte[EchoOnceHoldTarget.ExchangeBytes];
            while (Interlocked.Increment(ref next) <= count)
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(StepTimeout);
                Socket socket = await Loopback.OpenAsync(proxy, target.EndPoint, timeout.Token);
                lock (sockets)
                {
                    sockets.Add(socket);
                }

                await Loopback.SendAllAsync(socket, data, timeout.Token);
                await Loopback.ReceiveExactlyAsync(socket, data, timeout.Token);
            }
        }

        try
        {
            await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(LoopAsync)));
        }
        catch
        {
            CloseAll(sockets);
            throw;
        }

        return sockets;
    }

    public static void CloseAll(List<Socket> sockets)
    {
        lock (sockets)
        {
            foreach (Socket socket in sockets)
            {
                socket.Dispose();
            }

            sockets.Clear();
        }
    }

    /// <summary>What one memory round measured for one server.</summary>
    public sealed record MemoryRound(long RssBefore, long RssAfter, int Processes, long? HeapBefore, long? HeapAfter, string? Pool);

    /// <summary>
    /// One memory round on a fresh server process: warm it up with a few tunnels, measure, open <paramref name="tunnels"/>
    /// idle tunnels, wait, measure again. For our server also the managed heap (full GC) and the pooled buffers rented
    /// and not returned in between.
    /// </summary>
    public static async Task<MemoryRound> MemoryOnceAsync(Func<Task<Proxy>> start, int tunnels, TimeSpan hold, CancellationToken cancellationToken)
    {
        using var target = new EchoOnceHoldTarget();
        using Proxy proxy = await start();
        bool ours = proxy.Name == Proxy.Ours;
        List<Socket> warm = await OpenIdleTunnelsAsync(proxy, target, 32, cancellationToken);
        CloseAll(warm);
        target.CloseAll();
        await Task.Delay(500, cancellationToken);

        long? heapBefore = ours ? ParseHeap(await proxy.AskAsync("heap")) : null;
        long rssBefore = proxy.Process.TreeRssBytes();
        if (ours)
        {
            await proxy.AskAsync("track");
        }

        List<Socket> open = await OpenIdleTunnelsAsync(proxy, target, tunnels, cancellationToken);
        try
        {
            // Let every relay settle into its idle read.
            await Task.Delay(1000, cancellationToken);
            string? pool = ours ? await proxy.AskAsync("pool") : null;
            long? heapAfter = ours ? ParseHeap(await proxy.AskAsync("heap")) : null;
            long rssAfter = proxy.Process.TreeRssBytes();
            int processes = proxy.Process.TreeSize();
            if (proxy.Process.HasExited)
            {
                throw new InvalidOperationException($"{proxy.Name} exited during the memory round");
            }

            if (ours && hold > TimeSpan.Zero)
            {
                Console.WriteLine($"  holding {tunnels} idle tunnels of pid {proxy.Process.Pid} for {hold.TotalSeconds} s");
                await Task.Delay(hold, cancellationToken);
            }

            return new MemoryRound(rssBefore, rssAfter, processes, heapBefore, heapAfter, pool);
        }
        finally
        {
            CloseAll(open);
            target.CloseAll();
        }
    }

    private static long ParseHeap(string answer) =>
        answer.StartsWith("HEAP ", StringComparison.Ordinal)
            ? long.Parse(answer[5..], CultureInfo.InvariantCulture)
            : throw new InvalidOperationException("unexpected answer: " + answer);
}
