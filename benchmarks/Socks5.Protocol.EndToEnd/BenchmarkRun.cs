using System.Diagnostics;
using System.Globalization;

namespace Socks5.Protocol.EndToEnd;

/// <summary>One run: starts the peers, measures each section round by round, prints and writes the tables.</summary>
internal sealed class BenchmarkRun
{
    private readonly Settings _settings;
    private readonly Environs _env;
    private readonly CancellationToken _cancel;
    private readonly Report _report = new();
    private readonly List<(string Target, bool? Met, string Detail)> _targets = new();

    // Set when idle tunnels held pooled buffers: not a drifting number but a broken property, so the run fails.
    private string? _broken;

    public BenchmarkRun(Settings settings, Environs env, CancellationToken cancel)
    {
        _settings = settings;
        _env = env;
        _cancel = cancel;
    }

    public async Task<int> ExecuteAsync()
    {
        string loadBefore = ProcFs.LoadAverage();
        var total = Stopwatch.StartNew();
        Console.WriteLine($"Socks5.Protocol end-to-end benchmarks{(_settings.Quick ? " (--quick)" : "")}; load average {loadBefore}");
        foreach (string missing in _env.Missing())
        {
            Console.WriteLine($"MISSING: {missing}: its rows are left out");
        }

        if (_settings.Sections.Contains("bulk"))
        {
            var curve = new Dictionary<int, Dictionary<string, Series>>();
            foreach (int tunnels in _settings.BulkTunnels)
            {
                curve[tunnels] = await BulkAsync(tunnels);
            }

            BulkCurve(curve);
        }

        if (_settings.Sections.Contains("handshake"))
        {
            var curve = new Dictionary<int, Dictionary<string, Series>>();
            foreach (int clients in _settings.HandshakeClients)
            {
                curve[clients] = await HandshakesAsync(clients);
            }

            HandshakeCurve(curve);
        }

        if (_settings.Sections.Contains("memory"))
        {
            var curve = new Dictionary<int, Dictionary<string, Series>>();
            foreach (int tunnels in _settings.Tunnels)
            {
                curve[tunnels] = await MemoryAsync(tunnels);
            }

            MemoryCurve(curve);
        }

        if (_settings.Sections.Contains("client"))
        {
            await ClientAsync();
        }

        _report.Heading("Targets");
        foreach ((string target, bool? met, string detail) in _targets)
        {
            _report.Line($"- {(met switch { true => "**met**", false => "**missed**", null => "not measured" })}: {target} ({detail})");
        }

        _report.Heading("Machine");
        foreach (string line in Machine.Describe(loadBefore, ProcFs.LoadAverage(), total.Elapsed, _settings))
        {
            _report.Line(line);
        }

        string written = _report.Write(_settings.OutFile);
        Console.WriteLine();
        Console.WriteLine($"written to {written}");
        if (_broken is not null)
        {
            Console.Error.WriteLine($"FAILED: {_broken}");
            return 3;
        }

        return 0;
    }

    private async Task<Dictionary<string, Series>> BulkAsync(int tunnels)
    {
        using var sink = new BulkSink();
        var proxies = new List<Proxy?> { null };
        try
        {
            if (_env.Socat is not null)
            {
                proxies.Add(await Proxy.StartSocatAsync(_env, sink.EndPoint));
            }

            await AddSocksProxiesAsync(proxies);
            var series = proxies.ToDictionary(p => p?.Name ?? Measurements.Direct, p => new Series(p?.Name ?? Measurements.Direct));
            string each = tunnels == 1 ? "" : $" in {tunnels} tunnels at once ({_settings.BulkBytes / tunnels / (1024.0 * 1024):0.##} MiB each)";
            Console.WriteLine($"bulk: {_settings.BulkBytes / (1024 * 1024)} MiB per round{each}, {_settings.Rounds} rounds, through {string.Join(", ", series.Keys)}");

            // One short unmeasured transfer each: JIT, tiering, socket buffers, danted's helper processes.
            foreach (Proxy? proxy in proxies)
            {
                await Measurements.BulkOnceAsync(proxy, sink, Math.Min(_settings.BulkBytes, 64L * 1024 * 1024), _cancel);
            }

            for (int round = 0; round < _settings.Rounds; round++)
            {
                // Rotate the order each round so that a slow stretch of the shared machine does not always hit the same row.
                foreach (Proxy? proxy in Rotate(proxies, round))
                {
                    (double mibs, double cpu, long peak) = await Measurements.BulkAsync(proxy, sink, _settings.BulkBytes, tunnels, _settings.BulkScale, _cancel);
                    Series row = series[proxy?.Name ?? Measurements.Direct];
                    row.Rounds.Add(mibs);
                    double cpuPerGib = cpu / (_settings.BulkBytes / tunnels * tunnels / (1024.0 * 1024 * 1024));
                    if (proxy is not null)
                    {
                        row.Cpu.Add(cpuPerGib);
                        if (_settings.BulkScale)
                        {
                            row.PeakRss.Add(peak / (1024.0 * 1024));
                        }
                    }

                    string rss = proxy is null || !_settings.BulkScale ? "" : $", peak RSS {peak / (1024.0 * 1024):F0} MiB";
                    Console.WriteLine($"  round {round + 1}: {row.Name,-20} {mibs,8:F0} MiB/s{(proxy is null ? "" : $", proxy CPU {cpuPerGib:F2} s/GiB")}{rss}");
                    await Task.Delay(100, _cancel);
                }
            }

            if (!_settings.BulkScale)
            {
                _report.Heading($"Bulk throughput of one tunnel ({_settings.BulkBytes / (1024 * 1024)} MiB client → loopback sink, median of {_settings.Rounds})");
                _report.Table(series.Values, "MiB/s", Measurements.Direct, higherIsBetter: true, format: "F0", cpu: ("proxy CPU s per GiB", "F2"));
            }
            else
            {
                await AddBudgetNotesAsync(proxies, series);
                _report.Heading($"Bulk throughput of {tunnels} tunnel{(tunnels == 1 ? "" : "s at once")} ({_settings.BulkBytes / (1024 * 1024)} MiB in all{(tunnels == 1 ? "" : $", {_settings.BulkBytes / tunnels / (1024.0 * 1024):0.##} MiB each")}, client → loopback sink, aggregate, median of {_settings.Rounds})");
                _report.Table(series.Values, "MiB/s", Measurements.Direct, higherIsBetter: true, format: "F0", cpu: ("proxy CPU s per GiB", "F2"), extra: ("proxy peak RSS MiB (max of rounds)", s => s.PeakRss.Count == 0 ? "" : Report.Number(s.PeakRss.Max(), "F0")));
            }

            string scale = tunnels == 1 ? "" : $" ({tunnels} tunnels)";
            Series ours = series[Proxy.Ours];
            if (series.TryGetValue(Proxy.Socat, out Series? socat))
            {
                AddTarget("relay ≥ 1.0× socat" + scale, ours.Median / socat.Median, 1.0, true);
                AddTarget("relay ≥ 1.0× socat, inline completions" + scale, series[Proxy.OursInline].Median / socat.Median, 1.0, true);
            }
            else
            {
                _targets.Add(("relay ≥ 1.0× socat" + scale, null, "socat missing"));
            }

            AddTarget("relay ≥ 0.55× direct" + scale, ours.Median / series[Measurements.Direct].Median, 0.55, true);
            AddTarget("relay ≥ 0.55× direct, inline completions" + scale, series[Proxy.OursInline].Median / series[Measurements.Direct].Median, 0.55, true);
            return series;
        }
        finally
        {
            DisposeAll(proxies);
        }
    }

    // "WORK items bytes" from a server's control channel.
    private static (long Items, long Bytes) ParseWork(string answer)
    {
        string[] parts = answer.Split(' ');
        return parts.Length == 3 && parts[0] == "WORK"
            ? (long.Parse(parts[1], CultureInfo.InvariantCulture), long.Parse(parts[2], CultureInfo.InvariantCulture))
            : throw new InvalidOperationException("expected WORK items bytes, got: " + answer);
    }

    private async Task<Dictionary<string, Series>> HandshakesAsync(int clients)
    {
        using var target = new AcceptCloseTarget();
        var proxies = new List<Proxy?> { null };
        try
        {
            await AddSocksProxiesAsync(proxies);
            var series = proxies.ToDictionary(p => p?.Name ?? Measurements.PlainConnect, p => new Series(p?.Name ?? Measurements.PlainConnect));
            Console.WriteLine($"handshakes: {clients} clients, {_settings.HandshakeWarmup.TotalSeconds} s unmeasured through each, then {_settings.HandshakeDuration.TotalSeconds} s per round, {_settings.Rounds} rounds");
            foreach (Proxy? proxy in proxies)
            {
                await Measurements.HandshakesAsync(proxy, target.EndPoint, clients, _settings.HandshakeWarmup, _settings.ResetClose, _cancel);
            }

            for (int round = 0; round < _settings.Rounds; round++)
            {
                foreach (Proxy? proxy in Rotate(proxies, round))
                {
                    await Task.Delay(300, _cancel);
                    bool counted = proxy?.Name is Proxy.Ours or Proxy.OursInline or Proxy.Naive;
                    (long Items, long Bytes) workBefore = counted ? ParseWork(await proxy!.AskAsync("work")) : default;
                    (double rate, long failures, double cpu) = await Measurements.HandshakesAsync(proxy, target.EndPoint, clients, _settings.HandshakeDuration, _settings.ResetClose, _cancel);
                    Series row = series[proxy?.Name ?? Measurements.PlainConnect];
                    row.Rounds.Add(rate);
                    if (counted && rate > 0)
                    {
                        (long items, long bytes) = ParseWork(await proxy!.AskAsync("work"));
                        double handshakes = rate * _settings.HandshakeDuration.TotalSeconds;
                        row.WorkItems.Add((items - workBefore.Items) / handshakes);
                        row.AllocatedBytes.Add((bytes - workBefore.Bytes) / handshakes);
                    }

                    if (proxy is not null)
                    {
                        row.Cpu.Add(cpu * 1e6);
                    }

                    if (failures > 0)
                    {
                        row.Notes.Add($"{failures} failed in round {round + 1}");
                    }

                    Console.WriteLine($"  round {round + 1}: {row.Name,-28} {rate,8:F0} /s{(proxy is null ? "" : $", proxy CPU {cpu * 1e6:F0} µs each")}{(failures > 0 ? $"  ({failures} failed)" : "")}");
                }
            }

            _report.Heading($"CONNECT handshakes per second ({clients} client{(clients == 1 ? "" : "s")} at once, accept-and-close target, clients close with {(_settings.ResetClose ? "a reset" : "a FIN")}, {_settings.HandshakeDuration.TotalSeconds} s rounds, median of {_settings.Rounds})");
            _report.Table(series.Values, "handshakes/s", Measurements.PlainConnect, higherIsBetter: true, format: "F0", cpu: ("proxy CPU µs per handshake", "F0"),
                extra: ("thread-pool work items · bytes allocated per handshake", s => s.WorkCell));
            string scale = clients == 16 ? "" : $" ({clients} clients)";
            if (series.TryGetValue(Proxy.Naive, out Series? naive))
            {
                AddTarget("handshakes ≥ 1.1× the naive raw-socket server" + scale, series[Proxy.Ours].Median / naive.Median, 1.1, true);
            }

            if (series.TryGetValue(Proxy.Microsocks, out Series? microsocks))
            {
                AddTarget("handshakes ≥ 1.3× microsocks" + scale, series[Proxy.Ours].Median / microsocks.Median, 1.3, true);
                AddTarget("handshakes ≥ 1.3× microsocks, inline completions" + scale, series[Proxy.OursInline].Median / microsocks.Median, 1.3, true);
            }
            else
            {
                _targets.Add(("handshakes ≥ 1.3× microsocks" + scale, null, "microsocks missing"));
            }

            return series;
        }
        finally
        {
            DisposeAll(proxies);
        }
    }

    private async Task<Dictionary<string, Series>> MemoryAsync(int tunnels)
    {
        // Near the default MaxConnections (1,024) ours would turn tunnels away: raise it past 1,000 tunnels, and say so.
        int maxConnections = tunnels > 1000 ? tunnels + 100 : 0;
        var starts = new List<(string Name, Func<Task<Proxy>> Start)> { (Proxy.Ours, () => Proxy.StartOursAsync(_env, maxConnections: maxConnections)) };
        bool dantedTooMany = tunnels > DantedMaxTunnels;
        if (_env.Danted is not null && !dantedTooMany)
        {
            starts.Add((Proxy.Danted, () => Proxy.StartDantedAsync(_env)));
        }

        if (_env.Microsocks is not null)
        {
            starts.Add((Proxy.Microsocks, () => Proxy.StartMicrosocksAsync(_env)));
        }

        var rss = starts.ToDictionary(s => s.Name, s => new Series(s.Name));
        var heap = new Series(Proxy.Ours + " managed heap");
        var pools = new List<string>();
        Console.WriteLine($"memory: {tunnels} idle tunnels, {_settings.MemoryRounds} rounds, a fresh server process each round");
        for (int round = 0; round < _settings.MemoryRounds; round++)
        {
            foreach ((string name, Func<Task<Proxy>> start) in Rotate(starts, round))
            {
                Measurements.MemoryRound m = await Measurements.MemoryOnceAsync(start, tunnels, _settings.Hold, _cancel);
                double perTunnel = (m.RssAfter - m.RssBefore) / 1024.0 / tunnels;
                rss[name].Rounds.Add(perTunnel);
                rss[name].Notes.Add($"{m.Processes} process(es)");
                string line = $"  round {round + 1}: {name,-16} RSS {m.RssBefore / 1024} → {m.RssAfter / 1024} KiB = {perTunnel:F2} KiB/tunnel";
                if (m.HeapBefore is { } h0 && m.HeapAfter is { } h1)
                {
                    double heapPerTunnel = (h1 - h0) / 1024.0 / tunnels;
                    heap.Rounds.Add(heapPerTunnel);
                    pools.Add(m.Pool!);
                    line += $"; managed heap {h0 / 1024} → {h1 / 1024} KiB = {heapPerTunnel:F2} KiB/tunnel; {m.Pool}";
                }

                Console.WriteLine(line);
            }
        }

        _report.Heading($"Memory of {tunnels} idle tunnels (each moved {EchoOnceHoldTarget.ExchangeBytes} B both ways, then silent; median of {_settings.MemoryRounds}, fresh process each round)");
        foreach (Series s in rss.Values)
        {
            s.Notes.Clear();
        }

        _report.Table(rss.Values, "RSS KiB per tunnel", limitName: null, higherIsBetter: false, format: "F2");
        _report.Line("");
        _report.Line($"RSS is VmRSS from /proc/PID/status before and after opening the tunnels, summed over the process tree (danted forks helper processes; shared pages count once per process).");
        if (maxConnections > 0)
        {
            _report.Line("");
            _report.Line($"{Proxy.Ours} ran with MaxConnections = {maxConnections:N0} (the default, 1,024, would turn tunnels away); its other options are the defaults.");
        }

        if (dantedTooMany && _env.Danted is not null)
        {
            _report.Line("");
            _report.Line($"danted is left out above {DantedMaxTunnels:N0} tunnels: it forks helper processes and took about 400 KiB per tunnel at 1,000 ({tunnels:N0} would be about {tunnels * 400L / (1024 * 1024):F1} GiB).");
        }

        _report.Line("");
        _report.Line($"- {Proxy.Ours} managed heap per idle tunnel (GC.GetTotalMemory after full blocking collections, in the server process): **{heap.Median:F2} KiB** (rounds: {string.Join(", ", heap.Rounds.Select(r => r.ToString("F2", CultureInfo.InvariantCulture)))})");
        (long rented, long returned, long outstanding, long outstandingBytes) = ParsePool(pools.LastOrDefault());
        _report.Line($"- ArrayPool<byte>.Shared buffers (which also back MemoryPool<byte>.Shared, the pipes' pool) rented while the {tunnels} tunnels opened and moved their bytes, and not returned once they were idle: **{outstanding}** ({outstandingBytes} B), of {rented} rented and {returned} returned (last round; counted from the runtime's ArrayPoolEventSource by buffer id)");
        string scale = tunnels == 1000 ? "" : $" ({tunnels} tunnels)";
        AddTarget("≤ 4 KiB managed heap per idle tunnel" + scale, heap.Median, 4.0, higherIsBetter: false, unit: " KiB");
        _targets.Add(("an idle tunnel holds no pooled buffer" + scale, pools.Count == 0 ? null : outstanding == 0 && rented > 0,
            $"{outstanding} pooled buffers still rented with {tunnels} idle tunnels, {rented} rented during the window"));
        if (pools.Count > 0 && outstanding > 0)
        {
            _broken = $"{outstanding} pooled buffers ({outstandingBytes} B) stayed rented while {tunnels} tunnels were idle";
        }

        rss[heap.Name] = heap;
        return rss;
    }

    // danted took about 400 KiB of RSS per idle tunnel at 1,000 (it forks): 10,000 would be close to 4 GiB and thousands of processes.
    private const int DantedMaxTunnels = 2000;

    /// <summary>The bulk curve, when --bulk-tunnels gave more than one value: aggregate MiB/s, CPU per GiB, peak RSS.</summary>
    private void BulkCurve(Dictionary<int, Dictionary<string, Series>> curve)
    {
        if (curve.Count < 2)
        {
            return;
        }

        _report.Heading($"Bulk scale curve: aggregate MiB/s · proxy CPU s per GiB · proxy peak RSS MiB, by tunnels at once ({_settings.BulkBytes / (1024 * 1024)} MiB in all per round, medians of {_settings.Rounds}, peak the max)");
        _report.Curve("tunnels at once", _settings.BulkTunnels, curve.Values.First().Keys, (name, n) => curve[n].GetValueOrDefault(name), s =>
            s.Cpu.Count == 0
                ? Report.Number(s.Median, "F0")
                : $"{Report.Number(s.Median, "F0")} · {Report.Number(s.CpuMedian, "F2")} · {(s.PeakRss.Count == 0 ? "n/a" : Report.Number(s.PeakRss.Max(), "F0"))}");
    }

    /// <summary>The handshake curve, when --handshake-clients gave more than one value: handshakes/s and CPU per handshake.</summary>
    private void HandshakeCurve(Dictionary<int, Dictionary<string, Series>> curve)
    {
        if (curve.Count < 2)
        {
            return;
        }

        _report.Heading($"Handshake scale curve: handshakes/s · proxy CPU µs per handshake, by clients at once (medians of {_settings.Rounds})");
        _report.Curve("clients at once", _settings.HandshakeClients, curve.Values.First().Keys, (name, n) => curve[n].GetValueOrDefault(name), s =>
            s.Cpu.Count == 0 ? Report.Number(s.Median, "F0") : $"{Report.Number(s.Median, "F0")} · {Report.Number(s.CpuMedian, "F0")}");
    }

    /// <summary>The memory curve, when --tunnels gave more than one value: KiB per idle tunnel.</summary>
    private void MemoryCurve(Dictionary<int, Dictionary<string, Series>> curve)
    {
        if (curve.Count < 2)
        {
            return;
        }

        IEnumerable<string> names = curve.Values.SelectMany(c => c.Keys).Distinct();
        _report.Heading($"Memory scale curve: KiB per idle tunnel (RSS, and our managed heap), by idle tunnels (medians of {_settings.MemoryRounds})");
        _report.Curve("idle tunnels", _settings.Tunnels, names, (name, n) => curve[n].GetValueOrDefault(name), s => Report.Number(s.Median, "F2"));
    }

    /// <summary>Our servers' relay buffer budgets after the rounds, in their rows' notes (the peak is the process's, and each N has fresh processes).</summary>
    private static async Task AddBudgetNotesAsync(List<Proxy?> proxies, Dictionary<string, Series> series)
    {
        foreach (Proxy? proxy in proxies)
        {
            if (proxy is null || (proxy.Name != Proxy.Ours && proxy.Name != Proxy.OursInline))
            {
                continue;
            }

            string[] f = (await proxy.AskAsync("budget")).Split(' ');
            series[proxy.Name].Notes.Add(f.Length == 4
                ? string.Create(CultureInfo.InvariantCulture, $"relay budget: peak {long.Parse(f[2], CultureInfo.InvariantCulture) / (1024.0 * 1024):F0} MiB of {long.Parse(f[3], CultureInfo.InvariantCulture) / (1024.0 * 1024):F0} MiB")
                : "relay budget unreadable");
        }
    }

    private async Task ClientAsync()
    {
        using var http = new TinyHttpServer();
        using Proxy ours = await Proxy.StartOursAsync(_env);
        var owned = new List<IDisposable>();
        try
        {
            Dictionary<string, Func<Task>> operations = ClientSide.Operations(ours, http, owned);
            var series = operations.Keys.ToDictionary(k => k, k => new Series(k));
            int count = _settings.ClientOperations;
            Console.WriteLine($"client side: {count} operations one after another per round, {_settings.Rounds} rounds, against our server");
            foreach (Func<Task> operation in operations.Values)
            {
                await ClientSide.MedianMicrosecondsAsync(operation, Math.Min(count, 200), _cancel);
            }

            var names = operations.Keys.ToList();
            for (int round = 0; round < _settings.Rounds; round++)
            {
                foreach (string name in Rotate(names, round))
                {
                    double micros = await ClientSide.MedianMicrosecondsAsync(operations[name], count, _cancel);
                    series[name].Rounds.Add(micros);
                    Console.WriteLine($"  round {round + 1}: {name,-55} {micros,8:F0} µs");
                }
            }

            _report.Heading($"Client side: one operation on a new connection through our server ({count} one after another per round, median of the round, median of {_settings.Rounds} rounds)");
            _report.Table(series.Values, "µs", limitName: null, higherIsBetter: false, format: "F0", oursName: ClientSide.OurTunnel);
            _report.Line("");
            _report.Line("The two HTTP rows differ only in who opens the SOCKS5 tunnel under the same SocketsHttpHandler (PooledConnectionLifetime = 0, so a new connection per request): .NET's built-in SOCKS5 support or our Socks5Client through `UseSocks5`.");
            AddTarget("our client's CONNECT at least as fast as HttpClient's (HTTP GET on a new connection, built-in ÷ ours)", series[ClientSide.HttpBuiltIn].Median / series[ClientSide.HttpOurs].Median, 1.0, true);
        }
        finally
        {
            DisposeAll(owned);
        }
    }

    private static (long Rented, long Returned, long Outstanding, long Bytes) ParsePool(string? answer)
    {
        if (answer is null || !answer.StartsWith("POOL ", StringComparison.Ordinal))
        {
            return (0, 0, 0, 0);
        }

        long[] f = answer[5..].Split(' ').Select(x => long.Parse(x, CultureInfo.InvariantCulture)).ToArray();
        return (f[0], f[1], f[2], f[3]);
    }

    /// <summary>The SOCKS5 rows of the bulk and handshake sections: ours, ours with inline completions, and the peers here.</summary>
    private async Task AddSocksProxiesAsync(List<Proxy?> proxies)
    {
        proxies.Add(await Proxy.StartOursAsync(_env));
        proxies.Add(await Proxy.StartOursAsync(_env, inlineCompletions: true));
        proxies.Add(await Proxy.StartNaiveAsync(_env));
        if (_env.Danted is not null)
        {
            proxies.Add(await Proxy.StartDantedAsync(_env));
        }

        if (_env.Microsocks is not null)
        {
            proxies.Add(await Proxy.StartMicrosocksAsync(_env));
        }
    }

    private void AddTarget(string name, double value, double threshold, bool higherIsBetter, string unit = "×")
    {
        bool met = higherIsBetter ? value >= threshold : value <= threshold;
        _targets.Add((name, met, string.Create(CultureInfo.InvariantCulture, $"measured {value:F2}{unit}")));
    }

    private static void DisposeAll(IEnumerable<IDisposable?> owned)
    {
        foreach (IDisposable? disposable in owned)
        {
            disposable?.Dispose();
        }
    }

    private static IEnumerable<T> Rotate<T>(List<T> items, int by) => items.Skip(by % items.Count).Concat(items.Take(by % items.Count));
}
