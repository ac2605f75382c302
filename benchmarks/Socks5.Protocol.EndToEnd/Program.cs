using System.Diagnostics;
using System.Globalization;
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

            var run = new Run(settings, env, cancel.Token);
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

/// <summary>Command-line settings.</summary>
internal sealed class Settings
{
    public const string Usage = """
        usage: Socks5.Protocol.EndToEnd [--quick] [--rounds N] [--only bulk,handshake,memory,client] [--bulk-mib N]
                                        [--handshake-seconds S] [--handshake-close fin|reset] [--tunnels N] [--out FILE.md] [--keep] [--hold-seconds S] [--ours-env NAME=VALUE]
               Socks5.Protocol.EndToEnd --serve PORT     (our server alone, with default options; used by the harness)
        """;

    public bool Quick { get; private set; }

    public int Rounds { get; private set; } = 5;

    public int MemoryRounds { get; private set; } = 3;

    public long BulkBytes { get; private set; } = 256L * 1024 * 1024;

    public TimeSpan HandshakeDuration { get; private set; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// Unmeasured handshakes through each proxy before the rounds. Our server's tiered JIT keeps compiling for about two
    /// seconds under this load (the first two 3 s rounds took 269 and 241 µs of CPU per handshake, the rest about 190).
    /// </summary>
    public TimeSpan HandshakeWarmup { get; private set; } = TimeSpan.FromSeconds(4);

    public int HandshakeClients { get; } = 16;

    public int Tunnels { get; private set; } = 1000;

    /// <summary>How handshake clients close: with a FIN (default) or a reset (no TIME_WAIT, but an error for the proxy).</summary>
    public bool ResetClose { get; private set; }

    public HashSet<string> Sections { get; } = new() { "bulk", "handshake", "memory", "client" };

    /// <summary>Operations per round in the client-side section (one after another).</summary>
    public int ClientOperations { get; private set; } = 400;

    public string OutFile { get; private set; } = Path.Combine("artifacts", "e2e", "results.md");

    public bool KeepScratch { get; private set; }

    /// <summary>Experiments: environment variables for our server's process only (e.g. DOTNET_gcServer=1).</summary>
    public Dictionary<string, string> OursEnvironment { get; } = new();

    /// <summary>Diagnostics: keep our server's idle tunnels open this long after measuring (for dotnet-gcdump and the like).</summary>
    public TimeSpan Hold { get; private set; }

    public static Settings Parse(string[] args)
    {
        var settings = new Settings();
        if (args.Contains("--quick"))
        {
            settings.Quick = true;
            settings.Rounds = 3;
            settings.MemoryRounds = 1;
            settings.BulkBytes = 64L * 1024 * 1024;
            settings.HandshakeDuration = TimeSpan.FromSeconds(1);
            settings.HandshakeWarmup = TimeSpan.FromSeconds(1);
            settings.ClientOperations = 150;
        }

        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--quick":
                    break;
                case "--rounds":
                    settings.Rounds = int.Parse(Value(), CultureInfo.InvariantCulture);
                    settings.MemoryRounds = Math.Min(settings.MemoryRounds, settings.Rounds);
                    break;
                case "--bulk-mib":
                    settings.BulkBytes = long.Parse(Value(), CultureInfo.InvariantCulture) * 1024 * 1024;
                    break;
                case "--handshake-seconds":
                    settings.HandshakeDuration = TimeSpan.FromSeconds(double.Parse(Value(), CultureInfo.InvariantCulture));
                    break;
                case "--tunnels":
                    settings.Tunnels = int.Parse(Value(), CultureInfo.InvariantCulture);
                    break;
                case "--only":
                    settings.Sections.Clear();
                    settings.Sections.UnionWith(Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
                    break;
                case "--out":
                    settings.OutFile = Value();
                    break;
                case "--handshake-close":
                    settings.ResetClose = Value() switch
                    {
                        "reset" => true,
                        "fin" => false,
                        string other => throw new ArgumentException("--handshake-close takes fin or reset, not " + other),
                    };
                    break;
                case "--ours-env":
                    string[] pair = Value().Split('=', 2);
                    settings.OursEnvironment[pair[0]] = pair.Length > 1 ? pair[1] : "";
                    break;
                case "--keep":
                    settings.KeepScratch = true;
                    break;
                case "--hold-seconds":
                    settings.Hold = TimeSpan.FromSeconds(double.Parse(Value(), CultureInfo.InvariantCulture));
                    break;
                default:
                    throw new ArgumentException("unknown argument " + args[i]);
            }
        }

        if (settings.Rounds < 1 || settings.BulkBytes <= 0 || settings.Tunnels < 1)
        {
            throw new ArgumentException("rounds, bulk size and tunnels must be positive");
        }

        return settings;
    }
}

/// <summary>One run: starts the peers, measures each section round by round, prints and writes the tables.</summary>
internal sealed class Run
{
    private readonly Settings _settings;
    private readonly Environs _env;
    private readonly CancellationToken _cancel;
    private readonly Report _report = new();
    private readonly List<(string Target, bool? Met, string Detail)> _targets = new();

    // Set when idle tunnels held pooled buffers: not a drifting number but a broken property, so the run fails.
    private string? _broken;

    public Run(Settings settings, Environs env, CancellationToken cancel)
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
            await BulkAsync();
        }

        if (_settings.Sections.Contains("handshake"))
        {
            await HandshakesAsync();
        }

        if (_settings.Sections.Contains("memory"))
        {
            await MemoryAsync();
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

    private async Task BulkAsync()
    {
        using var sink = new BulkSink();
        var proxies = new List<Proxy?> { null };
        try
        {
            if (_env.Socat is not null)
            {
                proxies.Add(await Proxy.StartSocatAsync(_env, sink.EndPoint));
            }

            proxies.Add(await Proxy.StartOursAsync(_env));
            proxies.Add(await Proxy.StartOursAsync(_env, inlineCompletions: true));
            await AddSocksPeersAsync(proxies);
            var series = proxies.ToDictionary(p => p?.Name ?? Measurements.Direct, p => new Series(p?.Name ?? Measurements.Direct));
            Console.WriteLine($"bulk: {_settings.BulkBytes / (1024 * 1024)} MiB per round, {_settings.Rounds} rounds, through {string.Join(", ", series.Keys)}");

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
                    (double mibs, double cpu) = await Measurements.BulkOnceAsync(proxy, sink, _settings.BulkBytes, _cancel);
                    Series row = series[proxy?.Name ?? Measurements.Direct];
                    row.Rounds.Add(mibs);
                    double cpuPerGib = cpu / (_settings.BulkBytes / (1024.0 * 1024 * 1024));
                    if (proxy is not null)
                    {
                        row.Cpu.Add(cpuPerGib);
                    }

                    Console.WriteLine($"  round {round + 1}: {row.Name,-20} {mibs,8:F0} MiB/s{(proxy is null ? "" : $", proxy CPU {cpuPerGib:F2} s/GiB")}");
                    await Task.Delay(100, _cancel);
                }
            }

            _report.Heading($"Bulk throughput of one tunnel ({_settings.BulkBytes / (1024 * 1024)} MiB client → loopback sink, median of {_settings.Rounds})");
            _report.Table(series.Values, "MiB/s", Measurements.Direct, higherIsBetter: true, format: "F0", cpu: ("proxy CPU s per GiB", "F2"));
            Series ours = series[Proxy.Ours];
            if (series.TryGetValue(Proxy.Socat, out Series? socat))
            {
                AddTarget("relay ≥ 1.0× socat", ours.Median / socat.Median, 1.0, true);
                AddTarget("relay ≥ 1.0× socat, inline completions", series[Proxy.OursInline].Median / socat.Median, 1.0, true);
            }
            else
            {
                _targets.Add(("relay ≥ 1.0× socat", null, "socat missing"));
            }

            AddTarget("relay ≥ 0.55× direct", ours.Median / series[Measurements.Direct].Median, 0.55, true);
            AddTarget("relay ≥ 0.55× direct, inline completions", series[Proxy.OursInline].Median / series[Measurements.Direct].Median, 0.55, true);
        }
        finally
        {
            foreach (Proxy? proxy in proxies)
            {
                proxy?.Dispose();
            }
        }
    }

    private async Task HandshakesAsync()
    {
        using var target = new AcceptCloseTarget();
        var proxies = new List<Proxy?> { null };
        try
        {
            proxies.Add(await Proxy.StartOursAsync(_env));
            proxies.Add(await Proxy.StartOursAsync(_env, inlineCompletions: true));
            await AddSocksPeersAsync(proxies);
            var series = proxies.ToDictionary(p => p?.Name ?? Measurements.PlainConnect, p => new Series(p?.Name ?? Measurements.PlainConnect));
            int clients = _settings.HandshakeClients;
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
                    (double rate, long failures, double cpu) = await Measurements.HandshakesAsync(proxy, target.EndPoint, clients, _settings.HandshakeDuration, _settings.ResetClose, _cancel);
                    Series row = series[proxy?.Name ?? Measurements.PlainConnect];
                    row.Rounds.Add(rate);
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

            _report.Heading($"CONNECT handshakes per second ({clients} clients at once, accept-and-close target, clients close with {(_settings.ResetClose ? "a reset" : "a FIN")}, {_settings.HandshakeDuration.TotalSeconds} s rounds, median of {_settings.Rounds})");
            _report.Table(series.Values, "handshakes/s", Measurements.PlainConnect, higherIsBetter: true, format: "F0", cpu: ("proxy CPU µs per handshake", "F0"));
            if (series.TryGetValue(Proxy.Microsocks, out Series? microsocks))
            {
                AddTarget("handshakes ≥ 1.3× microsocks", series[Proxy.Ours].Median / microsocks.Median, 1.3, true);
                AddTarget("handshakes ≥ 1.3× microsocks, inline completions", series[Proxy.OursInline].Median / microsocks.Median, 1.3, true);
            }
            else
            {
                _targets.Add(("handshakes ≥ 1.3× microsocks", null, "microsocks missing"));
            }
        }
        finally
        {
            foreach (Proxy? proxy in proxies)
            {
                proxy?.Dispose();
            }
        }
    }

    private async Task MemoryAsync()
    {
        int tunnels = _settings.Tunnels;
        var starts = new List<(string Name, Func<Task<Proxy>> Start)> { (Proxy.Ours, () => Proxy.StartOursAsync(_env)) };
        if (_env.Danted is not null)
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
        _report.Line("");
        _report.Line($"- {Proxy.Ours} managed heap per idle tunnel (GC.GetTotalMemory after full blocking collections, in the server process): **{heap.Median:F2} KiB** (rounds: {string.Join(", ", heap.Rounds.Select(r => r.ToString("F2", CultureInfo.InvariantCulture)))})");
        (long rented, long returned, long outstanding, long outstandingBytes) = ParsePool(pools.LastOrDefault());
        _report.Line($"- ArrayPool<byte>.Shared buffers (which also back MemoryPool<byte>.Shared, the pipes' pool) rented while the {tunnels} tunnels opened and moved their bytes, and not returned once they were idle: **{outstanding}** ({outstandingBytes} B), of {rented} rented and {returned} returned (last round; counted from the runtime's ArrayPoolEventSource by buffer id)");
        AddTarget("≤ 4 KiB managed heap per idle tunnel", heap.Median, 4.0, higherIsBetter: false, unit: " KiB");
        _targets.Add(("an idle tunnel holds no pooled buffer", pools.Count == 0 ? null : outstanding == 0 && rented > 0,
            $"{outstanding} pooled buffers still rented with {tunnels} idle tunnels, {rented} rented during the window"));
        if (pools.Count > 0 && outstanding > 0)
        {
            _broken = $"{outstanding} pooled buffers ({outstandingBytes} B) stayed rented while {tunnels} tunnels were idle";
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
            foreach (IDisposable disposable in owned)
            {
                disposable.Dispose();
            }
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

    private async Task AddSocksPeersAsync(List<Proxy?> proxies)
    {
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

    private static IEnumerable<T> Rotate<T>(List<T> items, int by) => items.Skip(by % items.Count).Concat(items.Take(by % items.Count));
}

/// <summary>The tables, on the console and as markdown.</summary>
internal sealed class Report
{
    private readonly List<string> _lines = new();

    public void Heading(string text)
    {
        Line("");
        Line("### " + text);
        Line("");
    }

    public void Line(string text)
    {
        _lines.Add(text);
        Console.WriteLine(text);
    }

    /// <summary>One row per series: median, spread, ratio to the limit row (if any), and ours ÷ this row.</summary>
    public void Table(IEnumerable<Series> rows, string unit, string? limitName, bool higherIsBetter, string format, (string Label, string Format)? cpu = null, string oursName = Proxy.Ours)
    {
        List<Series> list = rows.ToList();
        Series? limit = limitName is null ? null : list.FirstOrDefault(s => s.Name == limitName);
        Series? ours = list.FirstOrDefault(s => s.Name == oursName);
        string F(double v) => double.IsNaN(v) ? "n/a" : v.ToString(format, CultureInfo.InvariantCulture);
        string R(double v) => double.IsNaN(v) || double.IsInfinity(v) ? "n/a" : v.ToString("F2", CultureInfo.InvariantCulture) + "×";
        Line($"| | median {unit} | min – max |{(limit is null ? "" : " × limit |")} {(oursName == Proxy.Ours ? Proxy.Ours : "Socks5Client ÷ this")}{(oursName == Proxy.Ours ? " ÷ this" : "")}{(higherIsBetter ? "" : " (lower is better)")} |{(cpu is null ? "" : $" median {cpu.Value.Label} |")} notes |");
        Line($"| --- | ---: | ---: |{(limit is null ? "" : " ---: |")} ---: |{(cpu is null ? "" : " ---: |")} --- |");
        foreach (Series s in list)
        {
            string name = s == limit ? $"{s.Name} (the limit)" : s == ours ? $"**{s.Name}**" : s.Name;
            string vsLimit = limit is null ? "" : $" {R(s.Median / limit.Median)} |";
            string vsOurs = ours is null || s == ours ? "" : R(ours.Median / s.Median);
            string cpuCell = cpu is null ? "" : $" {(s.Cpu.Count == 0 ? "" : s.CpuMedian.ToString(cpu.Value.Format, CultureInfo.InvariantCulture))} |";
            Line($"| {name} | {F(s.Median)} | {F(s.Min)} – {F(s.Max)} |{vsLimit} {vsOurs} |{cpuCell} {string.Join("; ", s.Notes)} |");
        }
    }

    public string Write(string path)
    {
        string full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllLines(full, _lines);
        return full;
    }
}

/// <summary>What the run ran on.</summary>
internal static class Machine
{
    public static IEnumerable<string> Describe(string loadBefore, string loadAfter, TimeSpan took, Settings settings)
    {
        string hypervisor = Lscpu("Hypervisor vendor");
        yield return $"- CPU: {Lscpu("Model name")}, {Environment.ProcessorCount} logical cores{(hypervisor == "?" ? "" : $", a {hypervisor} guest")}";
        yield return $"- RAM: {MemTotalGib():F1} GiB";
        yield return $"- OS: {OsName()}, kernel {Read("/proc/sys/kernel/osrelease")}";
        yield return $"- .NET: {RuntimeInformation.FrameworkDescription}, {(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")} GC";
        yield return $"- peers: socat {Dpkg("socat")}, danted {Dpkg("dante-server")}, microsocks {Dpkg("microsocks")}";
        yield return $"- load average (1, 5, 15 min) before: {loadBefore}; after: {loadAfter}; the run took {took.TotalMinutes:F1} min";
        yield return $"- command: `dotnet run -c Release --project benchmarks/Socks5.Protocol.EndToEnd --{(settings.Quick ? " --quick" : "")}`";
    }

    private static string Lscpu(string key)
    {
        string output = RunTool("lscpu", "");
        foreach (string line in output.Split('\n'))
        {
            if (line.StartsWith(key + ":", StringComparison.Ordinal))
            {
                return line[(key.Length + 1)..].Trim();
            }
        }

        return "?";
    }

    private static double MemTotalGib()
    {
        string line = File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal)) ?? "MemTotal: 0 kB";
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0 / 1024.0;
    }

    private static string OsName()
    {
        string? pretty = File.Exists("/etc/os-release")
            ? File.ReadLines("/etc/os-release").FirstOrDefault(l => l.StartsWith("PRETTY_NAME=", StringComparison.Ordinal))
            : null;
        return pretty is null ? RuntimeInformation.OSDescription : pretty["PRETTY_NAME=".Length..].Trim('"');
    }

    private static string Dpkg(string package)
    {
        string version = RunTool("dpkg-query", $"-W -f=${{Version}} {package}").Trim();
        return version.Length == 0 ? "(not installed)" : version;
    }

    private static string Read(string path) => File.Exists(path) ? File.ReadAllText(path).Trim() : "?";

    private static string RunTool(string program, string arguments)
    {
        try
        {
            using Process? process = Process.Start(new ProcessStartInfo(program, arguments)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            });
            if (process is null)
            {
                return "";
            }

            string output = process.StandardOutput.ReadToEnd();
            process.WaitForExit(5000);
            return output;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "";
        }
    }
}
