using System;
using System.Globalization;
using System.Net;
using Socks5.Protocol.Client;
using Socks5.Protocol.Server;
using Socks5.Protocol.Transport;

namespace Socks5.Client;

/// <summary>The command line, checked: every mistake is a <see cref="FormatException"/> with a message for people.</summary>
internal sealed class Arguments
{
    public bool Help { get; private set; }

    public EndPoint? Proxy { get; private set; }

    /// <summary>Set when --proxy was a URI: the protocol, name resolution and credentials it gives.</summary>
    public Socks5ClientOptions? ProxyUri { get; private set; }

    public EndPoint? Via { get; private set; }

    public string? UserName { get; private set; }

    public string? Password { get; private set; }

    public TimeSpan Timeout { get; private set; } = TimeSpan.FromSeconds(10);

    public bool ResolveLocally { get; private set; }

    public string Command { get; private set; } = string.Empty;

    public string? Host { get; private set; }

    public int Port { get; private set; }

    public string? Url { get; private set; }

    public string? Message { get; private set; }

    public static Arguments Parse(string[] args)
    {
        var result = new Arguments();
        int i = 0;
        string Next(string option) => i + 1 < args.Length ? args[++i] : throw new FormatException($"{option} needs a value.");
        for (; i < args.Length && args[i].StartsWith("--", StringComparison.Ordinal); i++)
        {
            switch (args[i])
            {
                case "--help":
                    result.Help = true;
                    return result;
                case "--proxy":
                    string proxy = Next("--proxy");
                    if (proxy.Contains("://", StringComparison.Ordinal))
                    {
                        result.ProxyUri = ParseProxyUri(proxy);
                        result.Proxy = result.ProxyUri.Proxy;
                    }
                    else
                    {
                        result.Proxy = ParseHostPort(proxy);
                    }

                    break;
                case "--via":
                    result.Via = ParseHostPort(Next("--via"));
                    break;
                case "--user":
                    string user = Next("--user");
                    int colon = user.IndexOf(':');
                    if (colon <= 0 || colon == user.Length - 1)
                    {
                        throw new FormatException("--user takes NAME:PASSWORD.");
                    }

                    result.UserName = user.Substring(0, colon);
                    result.Password = user.Substring(colon + 1);
                    break;
                case "--timeout":
                    string seconds = Next("--timeout");
                    if (!double.TryParse(seconds, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || value <= 0)
                    {
                        throw new FormatException($"--timeout takes a positive number of seconds, not '{seconds}'.");
                    }

                    result.Timeout = TimeSpan.FromSeconds(value);
                    break;
                case "--resolve-locally":
                    result.ResolveLocally = true;
                    break;
                default:
                    throw new FormatException($"Unknown option {args[i]}.");
            }
        }

        if (result.Proxy is null)
        {
            throw new FormatException("--proxy HOST:PORT or --proxy URI is required.");
        }

        string[] rest = args[i..];
        result.Command = rest.Length > 0 ? rest[0] : throw new FormatException("Give a command: connect, get, udp, bind or resolve.");
        switch (result.Command)
        {
            case "connect" when rest.Length == 3:
            case "udp" when rest.Length == 4:
                result.Host = rest[1];
                result.Port = ParsePort(rest[2]);
                result.Message = rest.Length == 4 ? rest[3] : null;
                break;
            case "get" when rest.Length == 2:
                result.Url = rest[1];
                break;
            case "bind" when rest.Length == 1:
                break;
            case "resolve" when rest.Length == 2:
                result.Host = rest[1];
                break;
            case "connect" or "udp" or "get" or "bind" or "resolve":
                throw new FormatException($"Wrong arguments for {result.Command}.");
            default:
                throw new FormatException($"Unknown command {result.Command}.");
        }

        return result;
    }

    public Socks5Client CreateClient()
    {
        // A URI brings its protocol, name resolution and credentials; --user and --resolve-locally still apply on top.
        Socks5ClientOptions options = ProxyUri ?? new Socks5ClientOptions(Proxy!);
        options.UserName = UserName ?? options.UserName;
        options.Password = UserName is null ? options.Password : Password;
        options.ConnectTimeout = Timeout;
        options.HandshakeTimeout = Timeout;
        options.ResolveNamesLocally |= ResolveLocally;
        options.Via = Via is null ? null : new Socks5Client(new Socks5ClientOptions(Via) { ConnectTimeout = Timeout, HandshakeTimeout = Timeout });
        return new Socks5Client(options);
    }

    private static Socks5ClientOptions ParseProxyUri(string text)
    {
        try
        {
            return Socks5ClientOptions.FromUri(new Uri(text, UriKind.Absolute));
        }
        catch (Exception ex) when (ex is UriFormatException or ArgumentException)
        {
            throw new FormatException($"--proxy '{text}': {ex.Message}");
        }
    }

    private static EndPoint ParseHostPort(string text)
    {
        int colon = text.LastIndexOf(':');
        if (colon <= 0)
        {
            throw new FormatException($"'{text}' is not HOST:PORT.");
        }

        string host = text.Substring(0, colon);
        int port = ParsePort(text.Substring(colon + 1));
        string literal = host.Trim('[', ']');
        return IPAddress.TryParse(literal, out IPAddress? ip) ? new IPEndPoint(ip, port) : new DnsEndPoint(host, port);
    }

    private static int ParsePort(string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int port) && port is > 0 and <= 65535
            ? port
            : throw new FormatException($"'{text}' is not a port (1 to 65535).");
}
