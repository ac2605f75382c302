using System;
using System.Collections.Generic;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using Socks5.Protocol.Engine;

namespace Socks5.Protocol.Client;

/// <summary>How a <see cref="Socks5Client"/> reaches its proxy and what it offers there.</summary>
public sealed class Socks5ClientOptions
{
    /// <summary>Creates options with no proxy set yet (set <see cref="Proxy"/> before use).</summary>
    public Socks5ClientOptions()
    {
    }

    /// <summary>Creates options for a proxy at an address.</summary>
    /// <param name="proxy">An <see cref="IPEndPoint"/>, or a <see cref="DnsEndPoint"/> resolved when connecting.</param>
    public Socks5ClientOptions(EndPoint proxy) => Proxy = proxy ?? throw new ArgumentNullException(nameof(proxy));

    /// <summary>Creates options for a proxy given as host and port.</summary>
    /// <param name="host">A host name or an IP literal.</param>
    /// <param name="port">The proxy's port.</param>
    public Socks5ClientOptions(string host, int port) => Proxy = EndPoints.FromHost(host, port);

    /// <summary>The proxy's address.</summary>
    public EndPoint? Proxy { get; set; }

    /// <summary>The protocol spoken to <see cref="Proxy"/>: SOCKS5 (the default), SOCKS4/4a or HTTP CONNECT.</summary>
    public ProxyProtocol Protocol { get; set; }

    /// <summary>
    /// Options for the proxy a URI names, as curl reads them: <c>socks5://</c> (names resolved here),
    /// <c>socks5h://</c> (names sent to the proxy), <c>socks4://</c> (names resolved here: SOCKS4 carries IPv4 only),
    /// <c>socks4a://</c> (names sent to the proxy) and <c>http://</c> (CONNECT). A missing port is 1080 for SOCKS and
    /// 80 for HTTP (as <see cref="WebProxy"/> reads an <c>http</c> URI). <c>user:password@</c> becomes
    /// <see cref="UserName"/> and <see cref="Password"/>, percent-decoded.
    /// </summary>
    /// <param name="proxy">An absolute URI with one of the schemes above, a host, and no path, query or fragment.</param>
    /// <returns>New options; the other settings keep their defaults.</returns>
    /// <exception cref="ArgumentException">The URI is relative, has another scheme, no host, or a path, query or fragment.</exception>
    public static Socks5ClientOptions FromUri(Uri proxy)
    {
        if (proxy is null)
        {
            throw new ArgumentNullException(nameof(proxy));
        }

        if (!proxy.IsAbsoluteUri)
        {
            throw new ArgumentException($"A proxy URI is absolute, e.g. socks5h://host:1080, not {proxy.OriginalString}.", nameof(proxy));
        }

        (ProxyProtocol protocol, bool resolveLocally, int defaultPort) = proxy.Scheme switch
        {
            "socks5" => (ProxyProtocol.Socks5, true, 1080),
            "socks5h" => (ProxyProtocol.Socks5, false, 1080),
            "socks4" => (ProxyProtocol.Socks4, true, 1080),
            "socks4a" => (ProxyProtocol.Socks4, false, 1080),
            "http" => (ProxyProtocol.HttpConnect, false, 80),
            _ => throw new ArgumentException($"A proxy URI's scheme is socks5, socks5h, socks4, socks4a or http, not {proxy.Scheme}.", nameof(proxy)),
        };

        if (proxy.HostNameType == UriHostNameType.Unknown || proxy.IdnHost.Length == 0)
        {
            throw new ArgumentException($"The proxy URI {proxy} names no host.", nameof(proxy));
        }

        if (proxy.AbsolutePath != "/" || proxy.Query.Length > 0 || proxy.Fragment.Length > 0)
        {
            throw new ArgumentException($"A proxy URI is scheme://[user:password@]host[:port], without a path, query or fragment: {proxy}.", nameof(proxy));
        }

        // Uri keeps the brackets of an IPv6 literal in Host; IdnHost gives a name as ASCII (punycode).
        string host = proxy.HostNameType == UriHostNameType.IPv6 ? proxy.Host.Trim('[', ']') : proxy.IdnHost;
        int port = proxy.IsDefaultPort || proxy.Port < 0 ? defaultPort : proxy.Port;
        var options = new Socks5ClientOptions(host, port) { Protocol = protocol, ResolveNamesLocally = resolveLocally };
        if (proxy.UserInfo.Length > 0)
        {
            // user:password, each percent-encoded; the first colon separates them (a user name cannot hold one).
            string info = proxy.UserInfo;
            int colon = info.IndexOf(':');
            options.UserName = Uri.UnescapeDataString(colon < 0 ? info : info.Substring(0, colon));
            options.Password = colon < 0 ? null : Uri.UnescapeDataString(info.Substring(colon + 1));
        }

        return options;
    }

    /// <summary>
    /// The RFC 1929 user name. When it is set, the greeting offers X'00' and X'02' (as curl does) and the proxy picks;
    /// when it is null, X'02' is not offered. 1 to 255 bytes of UTF-8. With <see cref="ProxyProtocol.Socks4"/> it is the
    /// USERID (no NUL, at most 255 bytes); with <see cref="ProxyProtocol.HttpConnect"/> the Basic user-id (no colon).
    /// </summary>
    public string? UserName { get; set; }

    /// <summary>The RFC 1929 password that goes with <see cref="UserName"/>: 1 to 255 bytes of UTF-8.</summary>
    public string? Password { get; set; }

    /// <summary>
    /// Makes further methods to offer after the built-in ones (GSSAPI through <see cref="GssapiClientAuthenticator"/>, or a
    /// private method X'80'–X'FE'). It is called once per connection, since an authenticator keeps that connection's state.
    /// </summary>
    public Func<IReadOnlyList<ISocks5ClientAuthenticator>>? AuthenticatorFactory { get; set; }

    /// <summary>Whether to offer X'00' (no authentication). True by default; false forces one of the other methods.</summary>
    public bool OfferNoAuthentication { get; set; } = true;

    /// <summary>
    /// False (the default): host names go to the proxy as ATYP X'03' and the proxy resolves them. True: they are resolved
    /// here and the proxy gets an IP address.
    /// </summary>
    public bool ResolveNamesLocally { get; set; }

    /// <summary>How long opening the TCP connection to the proxy may take; <see cref="Timeout.InfiniteTimeSpan"/> for no limit.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long the handshake may take, from the greeting to the reply (for BIND, to the first reply; the wait for the
    /// peer is bounded by the caller's token); <see cref="Timeout.InfiniteTimeSpan"/> for no limit.
    /// </summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Another client to reach <see cref="Proxy"/> through, making a chain: the connection to this proxy is a CONNECT tunnel
    /// through that one (which may itself have a <see cref="Via"/>). Null connects directly.
    /// </summary>
    public Socks5Client? Via { get; set; }

    /// <summary>
    /// Resolves every name this client looks up itself: the proxy's (a <see cref="DnsEndPoint"/> in <see cref="Proxy"/>
    /// reached directly, not through <see cref="Via"/>; its addresses are tried in order), destinations with <see cref="ResolveNamesLocally"/>, and a UDP relay the
    /// proxy names. Null (the default) uses the system resolver. For DNS over HTTPS, a hosts file of your own, or tests
    /// that must not reach DNS.
    /// </summary>
    /// <remarks>
    /// Throw a <see cref="System.Net.Sockets.SocketException"/> for a name that does not resolve, as
    /// <see cref="Dns.GetHostAddressesAsync(string)"/> does (an empty array means the same): the client turns it into a
    /// <see cref="Socks5Exception"/>. Any other exception reaches the caller as it is. The token is the caller's, bounded
    /// by <see cref="ConnectTimeout"/> for the proxy's name and by <see cref="HandshakeTimeout"/> for a relay's name.
    /// </remarks>
    public Func<string, CancellationToken, ValueTask<IPAddress[]>>? Resolver { get; set; }
}
