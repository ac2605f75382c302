using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Text;
using System.Threading;
using Socks5.Protocol.Client;
using Socks5.Protocol.Server;
using Socks5.Protocol.Transport;

namespace Socks5.Server;

/// <summary>
/// The sample server's command line, parsed and checked. <see cref="Parse"/> never throws for user input: it returns
/// the arguments or a one-line error, so that the program can print it with a usage hint and exit 2.
/// </summary>
public sealed class ServerArguments
{
    /// <summary>The exit code for bad arguments and for a refusal to start.</summary>
    public const int UsageExitCode = 2;

    /// <summary>What <c>--help</c> prints.</summary>
    public const string Usage =
        """
        Usage: dotnet run -c Release --project samples/Socks5.Server -- [options]

        A SOCKS5 server (RFC 1928 CONNECT, BIND and UDP ASSOCIATE; RFC 1929 username/password) that also serves
        SOCKS4/4a CONNECT and HTTP CONNECT (RFC 9110) on the same port, told apart by the first byte.

        Options:
          --listen ADDRESS:PORT        listen here (repeatable; [::1]:1080 for IPv6; port 0 picks a free port).
                                       Default: 127.0.0.1:1080
          --user NAME:PASSWORD         a user (repeatable). When any is given, clients must authenticate with a
                                       user name and password (RFC 1929; HTTP CONNECT: Proxy-Authorization Basic,
                                       407 without it) and SOCKS4, which has no authentication, is refused (91);
                                       otherwise no authentication is asked.
          --handshake-timeout SECONDS  how long a client may take to send its request (default 10)
          --connect-timeout SECONDS    how long a CONNECT may take to reach its destination (default 10)
          --idle-timeout SECONDS       close a tunnel with no traffic either way for this long (default: no limit)
          --max-connections N          connections open at once; more are closed at accept (default 1024)
          --max-connections-per-user N connections one --user may have open at once; past it a request is
                                       answered X'02', connection not allowed by ruleset (default: no limit)
          --max-bytes-per-second-per-user N
                                       tunnel bytes per second each way, shared by a user's connections; an
                                       anonymous connection has its own (default: no limit)
          --no-bind                    answer BIND with X'07' (command not supported)
          --no-udp                     answer UDP ASSOCIATE with X'07' (command not supported)
          --no-socks4                  do not serve SOCKS4/4a: such a client is closed without a reply
          --no-http-connect            do not serve HTTP CONNECT: such a client is closed without a reply
          --resolve                    serve Tor's RESOLVE and RESOLVE_PTR (X'F0', X'F1'): names and addresses
                                       looked up for the client, within the egress policy (default: X'07')
          --advertise ADDRESS          the address put in BIND and UDP ASSOCIATE replies (behind NAT)
          --deny-private               never connect or send to this machine or private networks (loopback,
                                       10/8, 172.16/12, 192.168/16, 100.64/10, 169.254/16 with cloud metadata,
                                       multicast, reserved; ::1, fc00::/7, fe80::/10, ...; the listen addresses,
                                       every address of the machine for 0.0.0.0). Set it beyond loopback.
          --allow CIDR                 only connect or send to these ranges (repeatable; 198.51.100.0/24, 2001:db8::/32)
          --deny CIDR                  never connect or send to these ranges (repeatable). Deny wins: an address
                                       in both an --allow and a --deny range (or the --deny-private ones) is refused.
          --allow-anonymous            allow listening beyond loopback without --user (an open proxy)
          --inline-completions         run socket completions on the socket threads instead of handing them to
                                       the thread pool (DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1): less CPU
                                       per byte and per handshake; a blocked stdout then stalls other connections
          --help                       print this and exit

        Listening on an address other than loopback without --user is refused unless --allow-anonymous is given:
        anyone who can reach the port could use the proxy. Beyond loopback, also give --deny-private, or clients
        can reach this machine's own services and the networks behind it.
        It prints one line per listening endpoint, then one line per connection (client, user, command,
        destination, reply, bytes each way, duration). Ctrl-C or SIGTERM stops accepting, lets open tunnels
        finish for up to 5 seconds, then exits 0.
        """;

    private ServerArguments()
    {
    }

    /// <summary>Where to listen; 127.0.0.1:1080 when no <c>--listen</c> was given.</summary>
    public IReadOnlyList<IPEndPoint> ListenEndPoints { get; private set; } = [];

    /// <summary>The users of <c>--user</c>, by name.</summary>
    public IReadOnlyDictionary<string, string> Users { get; private set; } = new Dictionary<string, string>();

    /// <summary><c>--handshake-timeout</c>.</summary>
    public TimeSpan HandshakeTimeout { get; private set; } = TimeSpan.FromSeconds(10);

    /// <summary><c>--connect-timeout</c>.</summary>
    public TimeSpan ConnectTimeout { get; private set; } = TimeSpan.FromSeconds(10);

    /// <summary><c>--idle-timeout</c>; <see cref="Timeout.InfiniteTimeSpan"/> (the library's default) when not given.</summary>
    public TimeSpan IdleTimeout { get; private set; } = Timeout.InfiniteTimeSpan;

    /// <summary><c>--max-connections</c>, or null for the library's default.</summary>
    public int? MaxConnections { get; private set; }

    /// <summary><c>--max-connections-per-user</c>; 0 (the library's default) for no limit.</summary>
    public int MaxConnectionsPerUser { get; private set; }

    /// <summary><c>--max-bytes-per-second-per-user</c>; 0 (the library's default) for no limit.</summary>
    public long MaxBytesPerSecondPerUser { get; private set; }

    /// <summary>False with <c>--no-bind</c>.</summary>
    public bool EnableBind { get; private set; } = true;

    /// <summary>False with <c>--no-udp</c>.</summary>
    public bool EnableUdpAssociate { get; private set; } = true;

    /// <summary>False with <c>--no-socks4</c>.</summary>
    public bool EnableSocks4 { get; private set; } = true;

    /// <summary>False with <c>--no-http-connect</c>.</summary>
    public bool EnableHttpConnect { get; private set; } = true;

    /// <summary>True with <c>--resolve</c>.</summary>
    public bool EnableResolve { get; private set; }

    /// <summary><c>--advertise</c>.</summary>
    public IPAddress? AdvertisedAddress { get; private set; }

    /// <summary><c>--deny-private</c>.</summary>
    public bool DenyPrivate { get; private set; }

    /// <summary>The ranges of <c>--allow</c>.</summary>
    public IReadOnlyList<string> Allow { get; private set; } = [];

    /// <summary>The ranges of <c>--deny</c>.</summary>
    public IReadOnlyList<string> Deny { get; private set; } = [];

    /// <summary><c>--allow-anonymous</c>.</summary>
    public bool AllowAnonymous { get; private set; }

    /// <summary><c>--inline-completions</c>: set the runtime's inline socket completions before any socket exists.</summary>
    public bool InlineCompletions { get; private set; }

    /// <summary><c>--help</c>: print <see cref="Usage"/> and exit 0; nothing else was checked.</summary>
    public bool ShowHelp { get; private set; }

    /// <summary>Parses and checks <paramref name="args"/>.</summary>
    /// <returns>The arguments, or null and a one-line <paramref name="error"/>.</returns>
    public static ServerArguments? Parse(IReadOnlyList<string> args, out string? error)
    {
        var parsed = new ServerArguments();
        var listen = new List<IPEndPoint>();
        var users = new Dictionary<string, string>(StringComparer.Ordinal);
        error = Read(args, parsed, listen, users);
        if (error is not null || parsed.ShowHelp)
        {
            return error is null ? parsed : null;
        }

        parsed.ListenEndPoints = listen.Count > 0 ? listen : [new IPEndPoint(IPAddress.Loopback, 1080)];
        parsed.Users = users;
        if (users.Count == 0 && !parsed.AllowAnonymous && parsed.ListenEndPoints.FirstOrDefault(ep => !IPAddress.IsLoopback(ep.Address)) is { } open)
        {
            error = $"refusing to listen on {open} without --user: anyone who can reach it could use this proxy. Add --user NAME:PASSWORD, or --allow-anonymous if that is what you want";
            return null;
        }

        return parsed;
    }

    // Fills parsed, listen and users from args; returns the first error, if any.
    private static string? Read(IReadOnlyList<string> args, ServerArguments parsed, List<IPEndPoint> listen, Dictionary<string, string> users)
    {
        string? error = null;
        for (int i = 0; i < args.Count && error is null; i++)
        {
            string option = args[i];
            // Every option with a value takes the next argument, whatever it looks like (a password may start with '-').
            string? Value()
            {
                if (i + 1 < args.Count)
                {
                    return args[++i];
                }

                error = $"{option} needs a value";
                return null;
            }

            switch (option)
            {
                case "--help" or "-h" or "-?":
                    parsed.ShowHelp = true;
                    return null;
                case "--listen":
                    if (Value() is { } endPoint)
                    {
                        if (TryParseEndPoint(endPoint, out IPEndPoint? ep))
                        {
                            listen.Add(ep);
                        }
                        else
                        {
                            error = $"--listen {endPoint}: expected ADDRESS:PORT with an IP address, e.g. 127.0.0.1:1080 or [::1]:1080";
                        }
                    }

                    break;
                case "--user":
                    if (Value() is { } user)
                    {
                        error = AddUser(user, users);
                    }

                    break;
                case "--handshake-timeout":
                    parsed.HandshakeTimeout = Seconds(option, Value(), ref error);
                    break;
                case "--connect-timeout":
                    parsed.ConnectTimeout = Seconds(option, Value(), ref error);
                    break;
                case "--idle-timeout":
                    parsed.IdleTimeout = Seconds(option, Value(), ref error);
                    break;
                case "--max-connections":
                    if (Count(option, Value(), int.MaxValue, ref error) is > 0 and long max)
                    {
                        parsed.MaxConnections = (int)max;
                    }

                    break;
                case "--max-connections-per-user":
                    parsed.MaxConnectionsPerUser = (int)Count(option, Value(), int.MaxValue, ref error);
                    break;
                case "--max-bytes-per-second-per-user":
                    parsed.MaxBytesPerSecondPerUser = Count(option, Value(), long.MaxValue, ref error);
                    break;
                case "--no-bind":
                    parsed.EnableBind = false;
                    break;
                case "--no-udp":
                    parsed.EnableUdpAssociate = false;
                    break;
                case "--no-socks4":
                    parsed.EnableSocks4 = false;
                    break;
                case "--no-http-connect":
                    parsed.EnableHttpConnect = false;
                    break;
                case "--resolve":
                    parsed.EnableResolve = true;
                    break;
                case "--advertise":
                    if (Value() is { } advertise)
                    {
                        if (IPAddress.TryParse(advertise, out IPAddress? address) && !advertise.Contains('%', StringComparison.Ordinal))
                        {
                            parsed.AdvertisedAddress = address;
                        }
                        else
                        {
                            error = $"--advertise {advertise}: expected an IP address";
                        }
                    }

                    break;
                case "--deny-private":
                    parsed.DenyPrivate = true;
                    break;
                case "--allow" or "--deny":
                    if (Value() is { } range)
                    {
                        if (IsRange(range))
                        {
                            parsed.Allow = option == "--allow" ? [.. parsed.Allow, range] : parsed.Allow;
                            parsed.Deny = option == "--deny" ? [.. parsed.Deny, range] : parsed.Deny;
                        }
                        else
                        {
                            error = $"{option} {range}: expected a CIDR range (address/prefix length) or an IP address";
                        }
                    }

                    break;
                case "--allow-anonymous":
                    parsed.AllowAnonymous = true;
                    break;
                case "--inline-completions":
                    parsed.InlineCompletions = true;
                    break;
                default:
                    error = $"unknown argument: {option}";
                    break;
            }
        }

        return error;
    }

    // The library parses the ranges when a server is created; one that is never started checks a range the same way.
    private static bool IsRange(string range)
    {
        var options = new Socks5ServerOptions();
        options.Egress.Deny.Add(range);
        try
        {
            using var server = new Socks5Server(options);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>The library's options for these arguments; <paramref name="connectionClosed"/> receives the log lines.</summary>
    public Socks5ServerOptions ToOptions(Action<Socks5ConnectionReport>? connectionClosed = null)
    {
        var options = new Socks5ServerOptions
        {
            HandshakeTimeout = HandshakeTimeout,
            ConnectTimeout = ConnectTimeout,
            EnableBind = EnableBind,
            EnableUdpAssociate = EnableUdpAssociate,
            EnableSocks4 = EnableSocks4,
            EnableHttpConnect = EnableHttpConnect,
            EnableResolve = EnableResolve,
            AdvertisedAddress = AdvertisedAddress,
            MaxConnectionsPerUser = MaxConnectionsPerUser,
            MaxBytesPerSecondPerUser = MaxBytesPerSecondPerUser,
            ConnectionClosed = connectionClosed,
        };
        options.IdleTimeout = IdleTimeout;

        if (MaxConnections is { } max)
        {
            options.MaxConnections = max;
        }

        foreach (IPEndPoint endPoint in ListenEndPoints)
        {
            options.ListenEndPoints.Add(endPoint);
        }

        foreach (KeyValuePair<string, string> user in Users)
        {
            options.Users.Add(user.Key, user.Value);
        }

        options.Egress.DenyPrivate = DenyPrivate;
        foreach (string range in Allow)
        {
            options.Egress.Allow.Add(range);
        }

        foreach (string range in Deny)
        {
            options.Egress.Deny.Add(range);
        }

        return options;
    }

    // ADDRESS:PORT with an IP literal (no names: the server must not depend on DNS to know where it listens).
    private static bool TryParseEndPoint(string text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out IPEndPoint? endPoint)
    {
        endPoint = null;
        int colon = text.LastIndexOf(':');
        if (colon <= 0)
        {
            return false;
        }

        string host = text[..colon];
        string port = text[(colon + 1)..];
        if (host.StartsWith('['))
        {
            if (!host.EndsWith(']'))
            {
                return false;
            }

            host = host[1..^1];
            if (!host.Contains(':', StringComparison.Ordinal))
            {
                return false; // [1.2.3.4] is not a form anyone means
            }
        }
        else if (host.Contains(':', StringComparison.Ordinal))
        {
            return false; // a bare IPv6 address: its last group would be read as the port
        }

        if (host.Contains('%', StringComparison.Ordinal)
            || !IPAddress.TryParse(host, out IPAddress? address)
            || !ushort.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out ushort number))
        {
            return false;
        }

        endPoint = new IPEndPoint(address, number);
        return true;
    }

    // NAME:PASSWORD, split at the first ':' (a name cannot hold one; a password can). RFC 1929 allows 1 to 255 bytes each.
    private static string? AddUser(string text, Dictionary<string, string> users)
    {
        int colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            return "--user: expected NAME:PASSWORD";
        }

        string name = text[..colon];
        string password = text[(colon + 1)..];
        if (Encoding.UTF8.GetByteCount(name) is < 1 or > 255 || Encoding.UTF8.GetByteCount(password) is < 1 or > 255)
        {
            return $"--user {name}: the name and the password must each be 1 to 255 bytes (RFC 1929)";
        }

        return users.TryAdd(name, password) ? null : $"--user {name}: given twice";
    }

    // A whole number above 0, at most max: a limit given on the command line (0 would mean none: leave the option out).
    private static long Count(string option, string? value, long max, ref string? error)
    {
        if (value is null)
        {
            return 0;
        }

        if (long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out long n) && n > 0 && n <= max)
        {
            return n;
        }

        error = $"{option} {value}: expected a whole number above 0";
        return 0;
    }

    private static TimeSpan Seconds(string option, string? value, ref string? error)
    {
        if (value is null)
        {
            return default;
        }

        if (double.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double seconds) && seconds > 0 && seconds <= 86400)
        {
            return TimeSpan.FromSeconds(seconds);
        }

        error = $"{option} {value}: expected a number of seconds above 0 (at most 86400)";
        return default;
    }
}
