using System;
using System.Collections.Generic;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using Socks5.Protocol.Engine;
using Socks5.Protocol.Wire;

namespace Socks5.Protocol.Server;

/// <summary>
/// Settings of a <see cref="Socks5Server"/>. Every one is optional; the defaults are safe: loopback only, no open relay
/// beyond this machine unless the host says so, and a bound on every stage.
/// </summary>
/// <remarks>
/// Every setting but the hooks (delegates, <see cref="TimeProvider"/>) binds from configuration, e.g. with
/// Microsoft.Extensions.Configuration's <c>section.Bind(options)</c>: where to listen and what to advertise have text forms
/// for that, <see cref="Listen"/> and <see cref="Advertise"/>, beside the typed <see cref="ListenEndPoints"/> and
/// <see cref="AdvertisedAddress"/> (which a binder cannot fill).
/// </remarks>
public sealed class Socks5ServerOptions
{
    private TimeProvider _timeProvider = TimeProvider.System;

    /// <summary>
    /// Where the accept loops listen, read by <see cref="Socks5Server.Start"/> together with <see cref="Listen"/>. When
    /// both are empty: 127.0.0.1:1080. Port 0 picks a free port (see <see cref="Socks5Server.LocalEndPoints"/>).
    /// </summary>
    public IList<IPEndPoint> ListenEndPoints { get; } = new List<IPEndPoint>();

    /// <summary>
    /// Where the accept loops listen, as text a configuration file can hold: <c>127.0.0.1:1080</c>, <c>[::1]:1080</c>.
    /// An IP literal and a port, never a name; IPv6 in brackets. Listened on after <see cref="ListenEndPoints"/>. Parsed
    /// when the server is created: a string of another form makes the constructor throw an
    /// <see cref="ArgumentException"/> that names it.
    /// </summary>
    public IList<string> Listen { get; } = new List<string>();

    /// <summary>
    /// User names and passwords. When any is set (or <see cref="ValidateCredentials"/> is), RFC 1929 username/password is
    /// required. Compared in constant time, always checking both fields.
    /// </summary>
    public IDictionary<string, string> Users { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>
    /// A credential check of the host's own (a database, a directory). When set, it decides instead of <see cref="Users"/>;
    /// it must compare in constant time itself.
    /// </summary>
    public Func<string, string, CancellationToken, ValueTask<bool>>? ValidateCredentials { get; set; }

    /// <summary>
    /// Extra methods (GSSAPI, private X'80'-X'FE'), in order of preference, offered before username/password and
    /// no-authentication. Each needs <see cref="AuthenticatorFactory"/>.
    /// </summary>
    public IList<AuthenticationMethod> ExtraMethods { get; } = new List<AuthenticationMethod>();

    /// <summary>Creates the per-connection authenticator of an extra method; see <see cref="Socks5ServerEngineOptions.AuthenticatorFactory"/>.</summary>
    public Func<AuthenticationMethod, ISocks5ServerAuthenticator?>? AuthenticatorFactory { get; set; }

    /// <summary>
    /// The access rule: called after name resolution with the address that will be used (see
    /// <see cref="Socks5AccessRequest"/>). Return false to refuse (reply X'02'; a UDP datagram is dropped, a BIND peer
    /// closed). Default: allow. Whatever it says, the server never dials or sends to 0.0.0.0 or ::, nor to its own
    /// listen end points unless <see cref="AllowSelfConnect"/> is set.
    /// </summary>
    public Func<Socks5AccessRequest, CancellationToken, ValueTask<bool>>? AccessRule { get; set; }

    /// <summary>
    /// Where the server may go: allow and deny lists of CIDR ranges and a preset that denies this machine and private
    /// networks, checked on every address dialed, taken a BIND peer from, or sent a datagram to, after name resolution
    /// and before <see cref="AccessRule"/> (refused: X'02', a datagram dropped). Default: nothing refused. A server that
    /// listens beyond loopback should set <see cref="Socks5EgressPolicy.DenyPrivate"/>. Parsed when the server is created.
    /// </summary>
    public Socks5EgressPolicy Egress { get; } = new();

    /// <summary>Resolves DOMAINNAME destinations. Default: <see cref="Dns.GetHostAddressesAsync(string)"/>.</summary>
    public Func<string, CancellationToken, ValueTask<IPAddress[]>>? Resolver { get; set; }

    /// <summary>
    /// Opens the outgoing connection of a CONNECT to exactly the address given (already checked by the access rule).
    /// Default: a TCP socket with no delay. The server tries each allowed resolved address in turn.
    /// </summary>
    public Func<IPEndPoint, CancellationToken, ValueTask<Socket>>? Dialer { get; set; }

    /// <summary>The longest a client may take from connecting to a complete request. Default 10 s.</summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The longest a CONNECT may take to reach its destination (all addresses together). Default 10 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The longest BIND waits for the peer to connect. Default 60 s.</summary>
    public TimeSpan BindTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>A tunnel with no traffic either way for this long is closed. Default: no limit.</summary>
    public TimeSpan IdleTimeout { get; set; } = Timeout.InfiniteTimeSpan;

    /// <summary>A UDP association with no datagram either way for this long is closed. Default 2 minutes.</summary>
    public TimeSpan UdpIdleTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How many connections may be open at once; more are closed at accept. Default 1024.</summary>
    public int MaxConnections { get; set; } = 1024;

    /// <summary>How many UDP associations may be open at once; more are answered X'01'. Default 256.</summary>
    public int MaxUdpAssociations { get; set; } = 256;

    /// <summary>
    /// How many connections one authenticated (RFC 1929) user may have open at once; 0 (the default) for no limit.
    /// Anonymous connections are not counted. A user's slot is taken when the credentials are accepted and freed when
    /// the connection ends, however it ends. A connection over the limit is answered X'02' (connection not allowed by
    /// ruleset) when its request arrives, and counted in <see cref="Socks5ServerStatistics.Rejected"/> (and as a
    /// <c>limit</c> rejection in <c>socks5.server.rejected_connections</c>). Read when the server is created.
    /// </summary>
    /// <remarks>
    /// Why X'02' after the request rather than a refusal at authentication: the credentials are right, and RFC 1929's only
    /// refusal (a non-zero STATUS) makes clients say "authentication failed", sending the user to check a password that is
    /// fine; closing without a word leaves them a bare "connection closed". X'02' is what the server means: this request
    /// is not allowed now, and clients print it as "connection not allowed by ruleset". The price is reading the request,
    /// which the handshake timeout bounds as for any connection. The slot is taken at authentication, not at the request,
    /// so that a user cannot hold more connections than the limit by leaving them between the two.
    /// </remarks>
    public int MaxConnectionsPerUser { get; set; }

    /// <summary>
    /// A byte rate limit of tunnel traffic, each direction on its own (from the clients, and to them), shared by all the
    /// connections of one authenticated user; an anonymous connection has its own. 0 (the default) for no limit. A token
    /// bucket: a second's worth may pass at once, then the rate on average; a tunnel waiting for its share holds no relay
    /// buffer. Applies to CONNECT and BIND tunnels, not to UDP associations. Runs on <see cref="TimeProvider"/>; read when
    /// the server is created.
    /// </summary>
    public long MaxBytesPerSecondPerUser { get; set; }

    /// <summary>
    /// Whether BIND is served (otherwise answered X'07'). Default true. When DST.ADDR is not 0.0.0.0 or ::, only a peer
    /// from that address (or from an address of that name) is taken; others are closed and BIND waits on.
    /// </summary>
    public bool EnableBind { get; set; } = true;

    /// <summary>Whether UDP ASSOCIATE is served (otherwise answered X'07'). Default true.</summary>
    public bool EnableUdpAssociate { get; set; } = true;

    /// <summary>
    /// Whether SOCKS4 and SOCKS4a are served on the same port (a first byte of 4). Default true; otherwise such a client
    /// is closed without a reply, as an unknown version is. SOCKS4 serves CONNECT only (BIND is answered 91) and has no
    /// authentication: when <see cref="RequiresCredentials"/> is true, a request is answered 91 unless
    /// <see cref="ValidateCredentials"/> accepts its USERID with an empty password (<see cref="Users"/> never does, since
    /// an RFC 1929 password is never empty). Replies: 90 on success, 91 for any failure.
    /// </summary>
    public bool EnableSocks4 { get; set; } = true;

    /// <summary>
    /// Whether HTTP CONNECT (RFC 9110 §9.3.6) is served on the same port (a first byte that is an upper-case letter).
    /// Default true; otherwise such a client is closed without a reply. The head is bounded (8 KiB: 431 past it) and
    /// must arrive within <see cref="HandshakeTimeout"/>; any method other than CONNECT gets 405. When
    /// <see cref="RequiresCredentials"/> is true, <c>Proxy-Authorization: Basic</c> is checked as RFC 1929 credentials
    /// are (407 when missing or wrong; the client may try again on the same connection). The outcome maps from the SOCKS5
    /// reply: 200 success, 403 not allowed (egress policy, access rule, per-user limit), 504 TTL expired or connect
    /// timeout, 502 for every other failure.
    /// </summary>
    public bool EnableHttpConnect { get; set; } = true;

    /// <summary>
    /// Whether Tor's RESOLVE (X'F0', SOCKS5 and SOCKS4a) and RESOLVE_PTR (X'F1', SOCKS5) are served; otherwise they are
    /// answered X'07' (SOCKS4: 91). Default false: a lookup through the proxy reveals what its resolver sees, which a
    /// plain SOCKS proxy does not offer. RESOLVE answers BND.ADDR with the first address of the name (<see cref="Resolver"/>)
    /// that the egress policy and the access rule allow (X'02' when all are refused, X'04' when there is none; SOCKS4a:
    /// the first IPv4 one). RESOLVE_PTR names an address through <see cref="ReverseResolver"/> (or the system's),
    /// only when the egress policy allows that address (X'02' otherwise, X'04' when it has no name).
    /// </summary>
    public bool EnableResolve { get; set; }

    /// <summary>
    /// The reverse lookup of RESOLVE_PTR: an address's name, or null when it has none. Null uses the system's
    /// (<see cref="Dns.GetHostEntryAsync(IPAddress)"/>).
    /// </summary>
    public Func<IPAddress, CancellationToken, ValueTask<string?>>? ReverseResolver { get; set; }

    /// <summary>
    /// Whether a CONNECT, a BIND peer or a UDP datagram may use one of this server's own listen end points: a port it
    /// listens on (or the one a connection handed to <see cref="Socks5Server.HandleConnectionAsync"/> came in on) at any
    /// address of this machine (its listen address, loopback, any interface address, IPv4-mapped or not). Default false:
    /// refused with X'02' (a datagram dropped) before the access rule runs, because a client that has the server connect
    /// to itself, again and again through the tunnel, makes it hold two sockets per level and reach
    /// <see cref="MaxConnections"/> alone. Set it only to chain the server through itself on purpose.
    /// </summary>
    public bool AllowSelfConnect { get; set; }

    /// <summary>
    /// Whose datagrams a UDP association takes when its request named no address (DST.ADDR 0.0.0.0 or ::). Default false:
    /// only datagrams from the client's TCP address, the first one of which fixes the port when DST.PORT is 0. True: the
    /// first datagram from any address fixes the address (and the port, when DST.PORT is 0), for clients whose datagrams
    /// leave from another address than their TCP connection (behind some NATs). RFC 1928 allows either; with true,
    /// whoever sends first owns the association. A request that names an address is held to it either way.
    /// </summary>
    public bool LearnUdpClientAddress { get; set; }

    /// <summary>
    /// The address put in BIND and UDP ASSOCIATE replies instead of the local one, for a server behind NAT or a balancer.
    /// Read when the server is created; see <see cref="Advertise"/> for its text form.
    /// </summary>
    public IPAddress? AdvertisedAddress { get; set; }

    /// <summary>
    /// <see cref="AdvertisedAddress"/> as text a configuration file can hold: <c>192.0.2.7</c>, <c>2001:db8::7</c> or
    /// <c>[2001:db8::7]</c>, never a name. Parsed when the server is created: a string of another form, or both this
    /// and <see cref="AdvertisedAddress"/> set, makes the constructor throw an <see cref="ArgumentException"/>.
    /// </summary>
    public string? Advertise { get; set; }

    /// <summary>
    /// The clock of <see cref="HandshakeTimeout"/>, <see cref="ConnectTimeout"/>, <see cref="BindTimeout"/>,
    /// <see cref="UdpIdleTimeout"/>, of the drain in <see cref="Socks5Server.StopAsync(TimeSpan, CancellationToken)"/>
    /// and of <see cref="Socks5ConnectionReport.Duration"/> (not of <see cref="IdleTimeout"/>, which the tunnel's relay
    /// keeps). Default: <see cref="TimeProvider.System"/>, whose timestamps a change of the wall clock does not move.
    /// Tests put a fake one here to move time by hand.
    /// </summary>
    /// <exception cref="ArgumentNullException">Set to null.</exception>
    public TimeProvider TimeProvider
    {
        get => _timeProvider;
        set => _timeProvider = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary>
    /// Called once per served connection when it ends, with what happened (the log line). Exceptions it throws are
    /// swallowed. Connections turned away at <see cref="MaxConnections"/> are not served: they are only counted in
    /// <see cref="Socks5ServerStatistics.Rejected"/>.
    /// </summary>
    public Action<Socks5ConnectionReport>? ConnectionClosed { get; set; }

    /// <summary>
    /// The most bytes of grown relay buffers this server's tunnels may hold at once. Each tunnel direction relays with a
    /// 16 KiB buffer and, while the sender stays ahead, doubles it up to 1 MiB (larger chunks cost less CPU per byte);
    /// every buffer above 16 KiB is charged here, and a direction whose doubling would not fit stays at its size: the
    /// tunnel is slower, it never fails for it. Default null: one budget shared by every server of the process that
    /// leaves this null, of a quarter of the memory the GC may use (its heap hard limit, else the container's or the
    /// machine's memory), at most 1 GiB. A value gives this server a budget of its own; 0 keeps every buffer at 16 KiB.
    /// Read when the server is created (a negative value makes the constructor throw). On netstandard2.0 it has no
    /// effect: that build relays through pipes whose buffers do not grow.
    /// </summary>
    public long? RelayBufferBudget { get; set; }

    /// <summary>Where the socket relay rents each tunnel direction's buffer while data flows (a seam: tests make rents fail).</summary>
    internal System.Buffers.ArrayPool<byte> RelayBufferPool { get; set; } = System.Buffers.ArrayPool<byte>.Shared;

    /// <summary>Whether the socket relay splices bulk bursts on Linux; null: the default (see RelaySettings.Splice).</summary>
    internal bool? RelaySplice { get; set; }

    /// <summary>True when clients must authenticate with a user name and password.</summary>
    public bool RequiresCredentials => Users.Count > 0 || ValidateCredentials is not null;

    /// <summary>
    /// TCP keepalive on both legs of a tunnel (the accepted client socket and the target socket, the one a custom
    /// <see cref="Dialer"/> returns included): after this long without a segment the system probes the peer, then every
    /// fifth of it (at least 1 s), and resets the connection after 5 unanswered probes, so that a peer that vanished
    /// without a FIN or RST does not hold a tunnel for ever. Default 5 minutes; <see cref="TimeSpan.Zero"/> or
    /// <see cref="Timeout.InfiniteTimeSpan"/> leaves keepalive off. On netstandard2.0 only SO_KEEPALIVE is set (the
    /// system's probe times apply).
    /// </summary>
    public TimeSpan TcpKeepAlive { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How long a half-closed tunnel may stay silent: once one direction has finished (its sender's FIN was passed on),
    /// the other may go on for as long as it moves bytes (a download after the client's FIN completes), but when it moves
    /// none for this long the tunnel is closed both ways, so that a peer that never finishes its direction cannot keep a
    /// socket in FIN_WAIT_2 and the other one open. Default 60 s; <see cref="Timeout.InfiniteTimeSpan"/> (or any negative
    /// value) for no limit. Runs on <see cref="TimeProvider"/>.
    /// </summary>
    public TimeSpan HalfCloseTimeout { get; set; } = TimeSpan.FromSeconds(60);
}
