using System.Globalization;

namespace Socks5.Protocol.Chaos;

/// <summary>The command line.</summary>
internal sealed class Settings
{
    public const string Usage =
        "usage: Socks5.Protocol.Chaos [--tunnels N] [--bytes-min SIZE] [--bytes-max SIZE] [--kill-percent P] [--seed N]\n" +
        "                             [--relay-budget SIZE] [--relay copy|splice] [--timeout-seconds S]\n" +
        "SIZE: bytes, or with K or M (1024-based). Each tunnel sends its own seeded stream each way, of a size between\n" +
        "--bytes-min and --bytes-max; P% of the clients and P% of the targets are reset mid-transfer.";

    public int Tunnels { get; private set; } = 1000;

    public long BytesMin { get; private set; } = 1024 * 1024;

    public long BytesMax { get; private set; } = 4 * 1024 * 1024;

    public int KillPercent { get; private set; } = 10;

    public int Seed { get; private set; } = 1;

    /// <summary>The server's own relay buffer budget; null: the process-wide default.</summary>
    public long? RelayBudget { get; private set; }

    /// <summary>Whether the server's relay splices bulk bursts (Linux), or copies (then the budget is used); null: the library's default (copy).</summary>
    public bool? Splice { get; private set; }

    /// <summary>How long every stage may take (all transfers, the reports, the return to the baseline).</summary>
    public TimeSpan Timeout { get; private set; } = TimeSpan.FromSeconds(300);

    public static Settings Parse(string[] args)
    {
        var settings = new Settings();
        for (int i = 0; i < args.Length; i++)
        {
            string value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--tunnels": settings.Tunnels = checked((int)Number(value)); break;
                case "--bytes-min": settings.BytesMin = Size(value); break;
                case "--bytes-max": settings.BytesMax = Size(value); break;
                case "--kill-percent": settings.KillPercent = checked((int)Number(value)); break;
                case "--seed": settings.Seed = checked((int)Number(value)); break;
                case "--relay-budget": settings.RelayBudget = Size(value); break;
                case "--relay": settings.Splice = value switch
                {
                    "splice" => true,
                    "copy" => false,
                    _ => throw new ArgumentException($"--relay takes copy or splice, not {value}"),
                };
                break;
                case "--timeout-seconds": settings.Timeout = TimeSpan.FromSeconds(Number(value)); break;
                default: throw new ArgumentException($"unknown option {args[i]}");
            }

            i++;
        }

        if (settings.Tunnels < 1 || settings.BytesMin < 0 || settings.BytesMax < settings.BytesMin || settings.KillPercent is < 0 or > 50)
        {
            throw new ArgumentException("need --tunnels >= 1, 0 <= --bytes-min <= --bytes-max, 0 <= --kill-percent <= 50");
        }

        return settings;
    }

    private static long Number(string text) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long n) ? n : throw new ArgumentException($"not a number: {text}");

    private static long Size(string text)
    {
        long unit = text.EndsWith('K') || text.EndsWith('k') ? 1024 : text.EndsWith('M') || text.EndsWith('m') ? 1024 * 1024 : 1;
        return checked(Number(unit == 1 ? text : text[..^1]) * unit);
    }
}
