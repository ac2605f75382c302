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

    /// <summary>
    /// The RFC 1929 user name. When it is set, the greeting offers X'00' and X'02' (as curl does) and the proxy picks;
    /// when it is null, X'02' is not offered. 1 to 255 bytes of UTF-8.
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
