using System.Globalization;

namespace Socks5.Protocol.EndToEnd;

/// <summary>Command-line settings.</summary>
internal sealed class Settings
{
    public const string Usage = """
        usage: Socks5.Protocol.EndToEnd [--quick] [--rounds N] [--only bulk,handshake,memory,client] [--bulk-mib N] [--bulk-tunnels N[,N...]]
                                        [--handshake-seconds S] [--handshake-clients N[,N...]] [--handshake-close fin|reset] [--tunnels N[,N...]]
                                        [--out FILE.md] [--keep] [--hold-seconds S] [--ours-env NAME=VALUE]
               --bulk-tunnels: tunnels at once in the bulk section (default 1); the bulk size is split evenly between them
               --handshake-clients: clients at once in the handshake section (default 16)
               --tunnels: idle tunnels in the memory section (default 1000)
               Each value of a list gets its own table, and a list of more than one value a curve table as well.
               Socks5.Protocol.EndToEnd --serve PORT     (our server alone, with default options; used by the harness)
               Socks5.Protocol.EndToEnd --serve-naive PORT   (the naive raw-socket server, the handshake floor; used by the harness)
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

    /// <summary>Clients at once in the handshake section: one table per value.</summary>
    public IReadOnlyList<int> HandshakeClients { get; private set; } = new[] { 16 };

    /// <summary>Idle tunnels in the memory section: one table per value.</summary>
    public IReadOnlyList<int> Tunnels { get; private set; } = new[] { 1000 };

    /// <summary>
    /// Bulk tunnels at once: one table per value. The bulk size is split evenly between them, so every value moves the
    /// same bytes per round and the aggregate rates compare directly.
    /// </summary>
    public IReadOnlyList<int> BulkTunnels { get; private set; } = new[] { 1 };

    /// <summary>Whether --bulk-tunnels was given: the bulk tables then also report the proxy's peak RSS.</summary>
    public bool BulkScale { get; private set; }

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

    /// <summary>The arguments as given, for the report's command line when a scale option was used.</summary>
    public string Arguments { get; private set; } = "";

    /// <summary>Whether any of the scale options (--handshake-clients, --tunnels, --bulk-tunnels) was given.</summary>
    public bool ScaleGiven { get; private set; }

    public static Settings Parse(string[] args)
    {
        var settings = new Settings { Arguments = string.Join(' ', args) };
        settings.ScaleGiven = args.Any(a => a is "--handshake-clients" or "--tunnels" or "--bulk-tunnels");
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
                    settings.Tunnels = List(Value());
                    break;
                case "--handshake-clients":
                    settings.HandshakeClients = List(Value());
                    break;
                case "--bulk-tunnels":
                    settings.BulkTunnels = List(Value());
                    settings.BulkScale = true;
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

        if (settings.Rounds < 1 || settings.BulkBytes <= 0)
        {
            throw new ArgumentException("rounds and bulk size must be positive");
        }

        if (settings.BulkTunnels.Any(n => settings.BulkBytes / n < 128 * 1024))
        {
            throw new ArgumentException("each bulk tunnel must move at least 128 KiB: raise --bulk-mib or lower --bulk-tunnels");
        }

        return settings;
    }

    /// <summary>
    /// The most file descriptors the run needs at once in one process: the harness holds both ends of each tunnel, and a
    /// proxy both of its sockets per tunnel; 512 more for the runtime, listeners, pipes and logs.
    /// </summary>
    public int FileDescriptorsNeeded()
    {
        int tunnels = Sections.Contains("memory") ? Tunnels.Max() : 0;
        int bulk = Sections.Contains("bulk") ? BulkTunnels.Max() : 0;
        int clients = Sections.Contains("handshake") ? HandshakeClients.Max() : 0;
        return (2 * Math.Max(tunnels, Math.Max(bulk, clients))) + 512;
    }

    // "1,16,256": positive values, in the order given.
    private static IReadOnlyList<int> List(string value)
    {
        int[] values = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(v => int.Parse(v, CultureInfo.InvariantCulture))
            .ToArray();
        if (values.Length == 0 || values.Any(v => v < 1))
        {
            throw new ArgumentException($"'{value}' must be a comma-separated list of positive numbers");
        }

        return values;
    }
}
