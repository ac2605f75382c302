using System.Globalization;

namespace Socks5.Protocol.EndToEnd;

/// <summary>Command-line settings.</summary>
internal sealed class Settings
{
    public const string Usage = """
        usage: Socks5.Protocol.EndToEnd [--quick] [--rounds N] [--only bulk,handshake,memory,client] [--bulk-mib N]
                                        [--handshake-seconds S] [--handshake-close fin|reset] [--tunnels N] [--out FILE.md] [--keep] [--hold-seconds S] [--ours-env NAME=VALUE]
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
