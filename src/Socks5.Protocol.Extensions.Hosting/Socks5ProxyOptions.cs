using System;
using System.Globalization;
using System.Net;
using Microsoft.Extensions.Options;
using Socks5.Protocol.Client;

namespace Socks5.Protocol.Extensions.Hosting;

/// <summary>
/// A SOCKS5 proxy as configuration holds it, for <c>UseSocks5Proxy</c> on an <c>IHttpClientBuilder</c>:
/// <c>{ "Proxy": "127.0.0.1:1080", "UserName": "alice", "Password": "…" }</c>. The text form of
/// <see cref="Socks5ClientOptions"/>, whose <see cref="Socks5ClientOptions.Proxy"/> a binder cannot fill.
/// </summary>
public sealed class Socks5ProxyOptions
{
    /// <summary>
    /// The proxy: <c>127.0.0.1:1080</c>, <c>[::1]:1080</c> or <c>proxy.example:1080</c> (SOCKS5), or a URI that
    /// <see cref="Socks5ClientOptions.FromUri"/> reads (<c>socks5h://</c>, <c>socks4a://</c>, <c>http://</c>...). Required.
    /// </summary>
    public string? Proxy { get; set; }

    /// <summary>The RFC 1929 user name, when the proxy wants one.</summary>
    public string? UserName { get; set; }

    /// <summary>The RFC 1929 password, with <see cref="UserName"/>.</summary>
    public string? Password { get; set; }

    /// <summary>See <see cref="Socks5ClientOptions.ResolveNamesLocally"/>. Default false: the proxy resolves names.</summary>
    public bool ResolveNamesLocally { get; set; }

    /// <summary>See <see cref="Socks5ClientOptions.ConnectTimeout"/>. Default 10 seconds.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>See <see cref="Socks5ClientOptions.HandshakeTimeout"/>. Default 10 seconds.</summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>A client for this proxy.</summary>
    /// <returns>A new <see cref="Socks5Client"/>.</returns>
    /// <exception cref="OptionsValidationException"><see cref="Proxy"/> is missing, or neither a host and a port nor a proxy URI.</exception>
    public Socks5Client CreateClient() => CreateClient(nameof(Proxy));

    internal Socks5Client CreateClient(string key)
    {
        Socks5ClientOptions options;
        if (Proxy is not null && Proxy.Contains("://", StringComparison.Ordinal))
        {
            // A URI brings its protocol, name resolution and credentials; the other keys still apply on top.
            try
            {
                options = Socks5ClientOptions.FromUri(new Uri(Proxy, UriKind.Absolute));
            }
            catch (Exception ex) when (ex is UriFormatException or ArgumentException)
            {
                throw new OptionsValidationException(key, typeof(Socks5ProxyOptions), [$"{key}: '{Proxy}' is not a proxy URI: {ex.Message}"]);
            }
        }
        else if (TryParseProxy(Proxy, out EndPoint? proxy))
        {
            options = new Socks5ClientOptions(proxy);
        }
        else
        {
            throw new OptionsValidationException(key, typeof(Socks5ProxyOptions), [$"{key}: '{Proxy}' is not a proxy address; write a host and a port, such as 127.0.0.1:1080, [::1]:1080 or proxy.example:1080, or a URI such as socks5h://127.0.0.1:1080."]);
        }

        if (UserName is not null)
        {
            options.UserName = UserName;
            options.Password = Password;
        }

        options.ResolveNamesLocally |= ResolveNamesLocally;
        options.ConnectTimeout = ConnectTimeout;
        options.HandshakeTimeout = HandshakeTimeout;
        return new Socks5Client(options);
    }

    private static bool TryParseProxy(string? text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out EndPoint? proxy)
    {
        proxy = null;
        int colon = text?.LastIndexOf(':') ?? -1;
        if (text is null || colon <= 0
            || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port)
            || port is < 1 or > 65535)
        {
            return false;
        }

        string host = text[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            if (!IPAddress.TryParse(host.AsSpan(1, host.Length - 2), out IPAddress? v6) || v6.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
            {
                return false;
            }

            proxy = new IPEndPoint(v6, port);
            return true;
        }

        if (host.Contains(':'))
        {
            return false; // an IPv6 address without brackets: where its port starts is a guess
        }

        proxy = IPAddress.TryParse(host, out IPAddress? v4) ? new IPEndPoint(v4, port) : new DnsEndPoint(host, port);
        return true;
    }
}
