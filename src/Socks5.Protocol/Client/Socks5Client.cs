using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.IO.Pipelines;
using System.IO;
using System.Net.Sockets;
using System.Net;
using System.Threading.Tasks;
using System.Threading;
using System;
using Socks5.Protocol.Diagnostics;
using Socks5.Protocol.Engine;
using Socks5.Protocol.Internal;
using Socks5.Protocol.Pipelines;
using Socks5.Protocol.Transport;
using Socks5.Protocol.Wire;

namespace Socks5.Protocol.Client;

/// <summary>
/// A SOCKS5 client: opens tunnels (CONNECT), accepts one inbound connection through the proxy (BIND), and relays
/// datagrams (UDP ASSOCIATE), directly or through a chain of proxies (<see cref="Socks5ClientOptions.Via"/>). It also
/// opens tunnels through SOCKS4/4a and HTTP CONNECT proxies (<see cref="Socks5ClientOptions.Protocol"/>), and asks Tor
/// to resolve names (<see cref="ResolveAsync"/>, <see cref="ResolvePtrAsync"/>).
/// </summary>
/// <remarks>
/// <para>
/// Every failure of the proxy or of the connection to it is a <see cref="Socks5Exception"/>; a timeout from
/// <see cref="Socks5ClientOptions"/> is a <see cref="TimeoutException"/>; the caller's token gives an
/// <see cref="OperationCanceledException"/>. In all three cases the connection to the proxy is closed before the call returns.
/// </para>
/// <para>An instance holds only its options: it is safe to share and to use from several threads at once.</para>
/// </remarks>
public sealed class Socks5Client
{
    /// <summary>Creates a client.</summary>
    /// <param name="options">The proxy, credentials and timeouts. They are read on each call, so change them before sharing the client.</param>
    /// <exception cref="ArgumentException">No proxy is set, or the credentials do not fit the protocol (RFC 1929, a SOCKS4 USERID, HTTP Basic).</exception>
    public Socks5Client(Socks5ClientOptions options)
    {
        Options = options ?? throw new ArgumentNullException(nameof(options));
        if (options.Proxy is null)
        {
            throw new ArgumentException("Set the proxy's address.", nameof(options));
        }

        // Fail here, not at the first connection, on credentials the protocol cannot carry.
        if (options.Protocol == ProxyProtocol.Socks5)
        {
            CreateAuthenticators();
        }
        else if (options.Protocol == ProxyProtocol.Socks4)
        {
            _ = Socks4UserId();
        }
        else if (options.UserName?.IndexOf(':') >= 0)
        {
            throw new ArgumentException("An HTTP Basic user-id cannot contain a colon (RFC 7617 §2).", nameof(options));
        }
    }

    /// <summary>Creates a client for a proxy that needs no authentication.</summary>
    /// <param name="proxy">The proxy's address.</param>
    public Socks5Client(EndPoint proxy)
        : this(new Socks5ClientOptions(proxy))
    {
    }

    /// <summary>The options this client uses.</summary>
    public Socks5ClientOptions Options { get; }

    /// <summary>Opens a tunnel to <paramref name="host"/>:<paramref name="port"/> through the proxy (CONNECT).</summary>
    /// <param name="host">A host name (sent as ATYP X'03' unless <see cref="Socks5ClientOptions.ResolveNamesLocally"/>) or an IP literal.</param>
    /// <param name="port">The destination port.</param>
    /// <param name="cancellationToken">Cancels the whole operation; the connection is closed.</param>
    /// <returns>The established tunnel.</returns>
    /// <exception cref="Socks5Exception">The proxy refused, failed the handshake, or could not be reached.</exception>
    /// <exception cref="TimeoutException">The connect or handshake timeout passed.</exception>
    public Task<Socks5Tunnel> ConnectAsync(string host, int port, CancellationToken cancellationToken = default) =>
        ConnectAsync(EndPoints.FromHost(host, port), cancellationToken);

    /// <summary>Opens a tunnel to <paramref name="destination"/> through the proxy (CONNECT).</summary>
    /// <param name="destination">
    /// An <see cref="IPEndPoint"/>, or a <see cref="DnsEndPoint"/> whose name goes to the proxy unresolved (unless
    /// <see cref="Socks5ClientOptions.ResolveNamesLocally"/>). It becomes <see cref="Socks5Tunnel.Destination"/>.
    /// </param>
    /// <param name="cancellationToken">Cancels the whole operation; the connection is closed.</param>
    /// <returns>The established tunnel.</returns>
    /// <exception cref="ArgumentException">
    /// The destination is neither an IP nor a DNS endpoint, or its name does not fit SOCKS5 (thrown before the proxy is contacted).
    /// </exception>
    /// <exception cref="Socks5Exception">The proxy refused, failed the handshake, or could not be reached.</exception>
    /// <exception cref="TimeoutException">The connect or handshake timeout passed.</exception>
    public Task<Socks5Tunnel> ConnectAsync(EndPoint destination, CancellationToken cancellationToken = default)
    {
        CheckDestination(destination, nameof(destination));
        return ConnectThroughProxyAsync(destination, cancellationToken);
    }

    /// <summary>
    /// Runs a CONNECT handshake over a connection the caller already has to a SOCKS5 proxy: a TLS stream, a socket of its
    /// own, or a tunnel through another proxy (so a chain is repeated calls). <see cref="Socks5ClientOptions.Proxy"/> is
    /// not used; the credentials, name resolution and handshake timeout are.
    /// </summary>
    /// <param name="transport">The connection to the proxy, at its start.</param>
    /// <param name="destination">An <see cref="IPEndPoint"/> or a <see cref="DnsEndPoint"/>, as for <see cref="ConnectAsync(EndPoint, CancellationToken)"/>.</param>
    /// <param name="cancellationToken">Cancels the handshake.</param>
    /// <returns>
    /// The tunnel, reading and writing through <paramref name="transport"/>. It owns the transport from then on: disposing
    /// the tunnel completes the transport's reader and writer and disposes the transport when it is
    /// <see cref="IDisposable"/>; <see cref="Socks5Tunnel.DisposeAsync"/> uses the transport's own <c>DisposeAsync</c>
    /// instead when it is <c>IAsyncDisposable</c> (the .NET 10 build). On failure the transport is left to the caller,
    /// who should close it.
    /// </returns>
    /// <exception cref="ArgumentException">The destination is neither an IP nor a DNS endpoint, or its name does not fit SOCKS5.</exception>
    /// <exception cref="Socks5Exception">The proxy refused or failed the handshake.</exception>
    /// <exception cref="TimeoutException">The handshake timeout passed.</exception>
    public Task<Socks5Tunnel> ConnectOverAsync(IDuplexPipe transport, EndPoint destination, CancellationToken cancellationToken = default)
    {
        if (transport is null)
        {
            throw new ArgumentNullException(nameof(transport));
        }

        CheckDestination(destination, nameof(destination));
        return ConnectCoreAsync(transport, transport, null, destination, cancellationToken);
    }

    /// <summary>
    /// Asks the proxy to listen for one inbound connection (BIND). Returns as soon as the first reply names the address the
    /// proxy listens on; then await <see cref="Socks5PendingBind.AcceptAsync"/> for the peer.
    /// </summary>
    /// <param name="expectedPeer">
    /// DST of the request: the peer expected to connect, an <see cref="IPEndPoint"/> or a <see cref="DnsEndPoint"/>. Null
    /// sends 0.0.0.0:0 ("any").
    /// </param>
    /// <param name="cancellationToken">Cancels the operation up to the first reply; the connection is closed.</param>
    /// <returns>The pending BIND, with the proxy's listening address.</returns>
    /// <exception cref="ArgumentException">The expected peer is neither an IP nor a DNS endpoint, or its name does not fit SOCKS5.</exception>
    /// <exception cref="NotSupportedException"><see cref="Socks5ClientOptions.Protocol"/> is not SOCKS5.</exception>
    /// <exception cref="Socks5Exception">The proxy refused, failed the handshake, or could not be reached.</exception>
    /// <exception cref="TimeoutException">The connect or handshake timeout passed.</exception>
    public Task<Socks5PendingBind> BindAsync(EndPoint? expectedPeer = null, CancellationToken cancellationToken = default)
    {
        RequireSocks5("BIND");
        EndPoint destination = expectedPeer ?? new IPEndPoint(IPAddress.Any, 0);
        CheckDestination(destination, nameof(expectedPeer));
        return BindThroughProxyAsync(destination, cancellationToken);
    }

    /// <summary>
    /// Sets up a UDP association (UDP ASSOCIATE): binds a UDP socket on the address the connection to the proxy leaves from,
    /// tells the proxy that exact address and port (danted, hpsockd and others only relay datagrams from it), and returns an
    /// object that sends and receives through the relay.
    /// </summary>
    /// <param name="cancellationToken">Cancels the set-up; the connection and the UDP socket are closed.</param>
    /// <returns>The association. It ends when the proxy closes the control connection, or when it is disposed.</returns>
    /// <exception cref="NotSupportedException"><see cref="Socks5ClientOptions.Protocol"/> is not SOCKS5.</exception>
    /// <exception cref="Socks5Exception">The proxy refused, failed the handshake, or could not be reached.</exception>
    /// <exception cref="TimeoutException">The connect or handshake timeout passed.</exception>
    /// <remarks>
    /// Through a chain (<see cref="Socks5ClientOptions.Via"/>) the last proxy cannot know the client's UDP address, so the
    /// request says 0.0.0.0:0; whether datagrams then pass is up to that proxy.
    /// </remarks>
    public async Task<Socks5UdpAssociation> AssociateUdpAsync(CancellationToken cancellationToken = default)
    {
        RequireSocks5("UDP ASSOCIATE");
        ProxyConnection proxy = await OpenAsync(null, cancellationToken).ConfigureAwait(false);
        Socket? udp = null;
        try
        {
            // Directly connected: bind where the TCP connection leaves from and say so. Through a chain the request says
            // 0.0.0.0:0, and the socket waits for the relay's address to take its family.
            if ((proxy.Pipe as SocketPipe)?.LocalEndPoint is IPEndPoint tcpLocal)
            {
                udp = BindUdp(IPAddresses.Unmap(tcpLocal).Address);
            }

            EndPoint told = udp?.LocalEndPoint ?? new IPEndPoint(IPAddress.Any, 0);
            Socks5ClientHandshake handshake = await HandshakeAsync(proxy.Pipe, proxy.EndPoint, Command.UdpAssociate, told, cancellationToken).ConfigureAwait(false);
            IPEndPoint relay = await FindRelayAsync(handshake.Engine.BoundAddress.ToEndPoint(), proxy.EndPoint, udp, cancellationToken).ConfigureAwait(false);
            udp ??= BindUdp(EndPoints.Any(relay.AddressFamily).Address);
            return new Socks5UdpAssociation(proxy.Pipe, proxy.Owner, udp, relay);
        }
        catch
        {
            udp?.Dispose();
            proxy.Owner.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Asks the proxy for the address of <paramref name="name"/> (Tor's RESOLVE, X'F0', over SOCKS5 or SOCKS4a): the name
    /// is never looked up here, whatever <see cref="Socks5ClientOptions.ResolveNamesLocally"/> says.
    /// </summary>
    /// <param name="name">The host name.</param>
    /// <param name="cancellationToken">Cancels the operation; the connection is closed.</param>
    /// <returns>The address the proxy found (BND.ADDR of its reply).</returns>
    /// <exception cref="ArgumentException">The name does not fit a request.</exception>
    /// <exception cref="NotSupportedException"><see cref="Socks5ClientOptions.Protocol"/> is HTTP CONNECT.</exception>
    /// <exception cref="Socks5Exception">The proxy refused (Tor's extended codes are named in the message), failed, answered with a name, or could not be reached.</exception>
    /// <exception cref="TimeoutException">The connect or handshake timeout passed.</exception>
    public async Task<IPAddress> ResolveAsync(string name, CancellationToken cancellationToken = default)
    {
        if (Options.Protocol == ProxyProtocol.HttpConnect)
        {
            throw new NotSupportedException("RESOLVE is a SOCKS5 and SOCKS4a command (Tor's); an HTTP proxy cannot resolve names for the client.");
        }

        var destination = new DnsEndPoint(name ?? throw new ArgumentNullException(nameof(name)), 0);
        CheckName(destination, nameof(name));
        EndPoint answer = await LookUpThroughProxyAsync(Command.Resolve, destination, cancellationToken).ConfigureAwait(false);
        return answer is IPEndPoint ip
            ? IPAddresses.Unmap(ip).Address
            : throw new Socks5Exception($"The proxy {EndPoints.Format(Options.Proxy)} answered RESOLVE of {EndPoints.Escape(name)} with {EndPoints.Format(answer)}, not an address.", HandshakeFailure.None, ReplyCode.Succeeded, Options.Proxy, destination) { BoundAddress = answer };
    }

    /// <summary>Asks the proxy for the name of <paramref name="address"/> (Tor's RESOLVE_PTR, X'F1', SOCKS5 only).</summary>
    /// <param name="address">The address, usually IPv4 (Tor answers for IPv4 only).</param>
    /// <param name="cancellationToken">Cancels the operation; the connection is closed.</param>
    /// <returns>The name the proxy found (BND.ADDR of its reply).</returns>
    /// <exception cref="NotSupportedException"><see cref="Socks5ClientOptions.Protocol"/> is not SOCKS5.</exception>
    /// <exception cref="Socks5Exception">The proxy refused, failed, answered with an address, or could not be reached.</exception>
    /// <exception cref="TimeoutException">The connect or handshake timeout passed.</exception>
    public async Task<string> ResolvePtrAsync(IPAddress address, CancellationToken cancellationToken = default)
    {
        RequireSocks5("RESOLVE_PTR");
        var destination = new IPEndPoint(address ?? throw new ArgumentNullException(nameof(address)), 0);
        EndPoint answer = await LookUpThroughProxyAsync(Command.ResolvePtr, destination, cancellationToken).ConfigureAwait(false);
        return answer is DnsEndPoint name
            ? name.Host
            : throw new Socks5Exception($"The proxy {EndPoints.Format(Options.Proxy)} answered RESOLVE_PTR of {address} with {EndPoints.Format(answer)}, not a name.", HandshakeFailure.None, ReplyCode.Succeeded, Options.Proxy, destination) { BoundAddress = answer };
    }

    private void RequireSocks5(string command)
    {
        if (Options.Protocol != ProxyProtocol.Socks5)
        {
            throw new NotSupportedException($"{command} needs a SOCKS5 proxy; this client speaks {Options.Protocol}.");
        }
    }

    private async Task<EndPoint> LookUpThroughProxyAsync(Command command, EndPoint destination, CancellationToken cancellationToken)
    {
        ProxyConnection proxy = await OpenAsync(destination, cancellationToken).ConfigureAwait(false);
        using (proxy.Owner)
        {
            // The answer is in BND.ADDR as the proxy sent it: a name stays a name.
            return await ExchangeAsync(proxy.Pipe, proxy.EndPoint, command, destination, cancellationToken).ConfigureAwait(false);
        }
    }

    // A destination SOCKS5 cannot carry is the caller's mistake: say so before the proxy is contacted. A name resolved
    // here never goes on the wire, so only a name sent to the proxy must fit ATYP X'03'.
    private void CheckDestination(EndPoint destination, string paramName)
    {
        switch (destination)
        {
            case null:
                throw new ArgumentNullException(paramName);
            case IPEndPoint { AddressFamily: AddressFamily.InterNetworkV6 } ip when Options.Protocol == ProxyProtocol.Socks4 && !ip.Address.IsIPv4MappedToIPv6:
                throw new ArgumentException($"SOCKS4 carries IPv4 addresses only, not {EndPoints.Format(destination)}.", paramName);
            case IPEndPoint:
            case DnsEndPoint when Options.ResolveNamesLocally:
                return;
            case DnsEndPoint name:
                CheckName(name, paramName);
                return;
            default:
                throw new ArgumentException($"SOCKS5 destinations are IP or DNS endpoints, not {destination.GetType().Name}.", paramName);
        }
    }

    private static void CheckName(DnsEndPoint destination, string paramName)
    {
        Span<byte> buffer = stackalloc byte[Socks5EndPoint.MaxAddressLength];
        try
        {
            _ = Socks5EndPoint.FromEndPoint(destination, buffer);
        }
        catch (ArgumentException ex)
        {
            // The inner exception says why (empty, longer than 255 bytes, not a valid international name).
            throw new ArgumentException($"The name {EndPoints.Format(destination)} cannot be sent to a proxy: {ex.Message}", paramName, ex);
        }
    }

    private async Task<Socks5Tunnel> ConnectThroughProxyAsync(EndPoint destination, CancellationToken cancellationToken)
    {
        ProxyConnection proxy = await OpenAsync(destination, cancellationToken).ConfigureAwait(false);
        try
        {
            return await ConnectCoreAsync(proxy.Pipe, proxy.Owner, proxy.EndPoint, destination, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            proxy.Owner.Dispose();
            throw;
        }
    }

    private async Task<Socks5PendingBind> BindThroughProxyAsync(EndPoint destination, CancellationToken cancellationToken)
    {
        ProxyConnection proxy = await OpenAsync(destination, cancellationToken).ConfigureAwait(false);
        try
        {
            Socks5ClientHandshake handshake = await HandshakeAsync(proxy.Pipe, proxy.EndPoint, Command.Bind, destination, cancellationToken).ConfigureAwait(false);
            EndPoint listening = EndPoints.ReplaceUnspecified(handshake.Engine.BindAddress.ToEndPoint(), proxy.EndPoint);
            return new Socks5PendingBind(this, handshake, proxy.Pipe, proxy.Owner, proxy.EndPoint, destination, listening);
        }
        catch
        {
            proxy.Owner.Dispose();
            throw;
        }
    }

    /// <summary>Runs the handshake one step (to the first reply for BIND, else to the final one), applying a timeout.</summary>
    internal Task<ClientEvent> StepAsync(Socks5ClientHandshake handshake, IDuplexPipe transport, EndPoint? proxy, EndPoint destination, TimeSpan timeout, CancellationToken cancellationToken) =>
        StepAsync(handshake.Engine, handshake.RunAsync, transport, proxy, destination, timeout, cancellationToken);

    private static async Task<ClientEvent> StepAsync(IClientEngine engine, Func<CancellationToken, ValueTask<ClientEvent>> run, IDuplexPipe transport, EndPoint? proxy, EndPoint destination, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ClientEvent e;
        using (var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            if (timeout != Timeout.InfiniteTimeSpan)
            {
                limit.CancelAfter(timeout);
            }

            // A transport that ignores the token still wakes up: its pending read returns IsCanceled.
            using (limit.Token.Register(static s => ((PipeReader)s!).CancelPendingRead(), transport.Input))
            {
                try
                {
                    e = await run(limit.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (limit.IsCancellationRequested)
                {
                    e = ClientEvent.MustClose;
                }
                catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException && !limit.IsCancellationRequested)
                {
                    throw Socks5ClientErrors.Transport(ex, engine.State, engine.Command, proxy, destination);
                }
            }

            // Checked after the registration is gone, so a cancellation either shows here or never touched the reader.
            if (limit.IsCancellationRequested)
            {
                cancellationToken.ThrowIfCancellationRequested();
                throw new TimeoutException(
                    $"The proxy {EndPoints.Format(proxy)} did not finish the {Socks5ClientErrors.Name(engine.Command)} handshake to {EndPoints.Format(destination)} within {timeout.TotalSeconds:0.###} s.");
            }
        }

        if (e == ClientEvent.MustClose)
        {
            throw Socks5ClientErrors.FromHandshake(engine, proxy, destination);
        }

        return e;
    }

    private async Task<Socks5Tunnel> ConnectCoreAsync(IDuplexPipe transport, object? owner, EndPoint? proxy, EndPoint destination, CancellationToken cancellationToken)
    {
        // Current during the handshake only (the caller's context is untouched); it ends when the reply is known.
        using Activity? activity = Socks5Telemetry.Source.HasListeners() ? Socks5Telemetry.Source.StartActivity("socks5.client.connect", ActivityKind.Client) : null;
        EndPoint bound;
        try
        {
            bound = await ExchangeAsync(transport, proxy, Command.Connect, destination, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (activity is not null)
        {
            if (ex is Socks5Exception { ReplyCode: { } refused })
            {
                activity.SetTag(Socks5Telemetry.ReplyCodeTag, Socks5Telemetry.ReplyCodeValue(refused));
            }

            Socks5Telemetry.SetError(activity, ex is Socks5Exception { Failure: not HandshakeFailure.None } failed ? Socks5Telemetry.FailureValue(failed.Failure) : Socks5Telemetry.ErrorType(ex), ex.Message);
            throw;
        }

        activity?.SetTag(Socks5Telemetry.ReplyCodeTag, Socks5Telemetry.ReplyCodeValue(ReplyCode.Succeeded));
        return new Socks5Tunnel(transport, owner, destination, EndPoints.ReplaceUnspecified(bound, null));
    }

    // One request and its reply in the configured protocol: CONNECT, RESOLVE or RESOLVE_PTR. Returns the reply's
    // address (BND, DSTIP for SOCKS4, 0.0.0.0:0 for HTTP, which has none).
    private async Task<EndPoint> ExchangeAsync(IDuplexPipe transport, EndPoint? proxy, Command command, EndPoint destination, CancellationToken cancellationToken)
    {
        if (Options.Protocol == ProxyProtocol.Socks5)
        {
            Socks5ClientHandshake handshake = await HandshakeAsync(transport, proxy, command, destination, cancellationToken).ConfigureAwait(false);
            return handshake.Engine.BoundAddress.ToEndPoint();
        }

        EndPoint requested = command == Command.Connect
            ? await ResolveLocallyAsync(destination, proxy, cancellationToken).ConfigureAwait(false)
            : destination;
        IClientEngine engine = CreateEngine(requested, command);
        long started = Stopwatch.GetTimestamp();
        Exception? error = null;
        try
        {
            await StepAsync(engine, token => RunAsync(transport, engine, token), transport, proxy, destination, Options.HandshakeTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            error = ex;
            throw;
        }
        finally
        {
            RecordHandshake(command, started, error);
        }

        return engine is Socks4ClientEngine socks4 ? socks4.BoundAddress.ToEndPoint() : new IPEndPoint(IPAddress.Any, 0);
    }

    // The loop Socks5ClientHandshake runs, for the engines that have no public adapter.
    private static async ValueTask<ClientEvent> RunAsync(IDuplexPipe transport, IClientEngine engine, CancellationToken cancellationToken)
    {
        if (engine.State == ClientEngineState.NotStarted)
        {
            engine.Start(transport.Output);
            await transport.Output.FlushAsync(cancellationToken).ConfigureAwait(false);
        }

        return await HandshakeReader.ReadAsync(
            transport,
            (ReadOnlySpan<byte> input, bool isFinalBlock, out int consumed) => engine.Process(input, transport.Output, out consumed, isFinalBlock),
            () => engine.MaxMessageLength,
            ClientEvent.NeedMoreData,
            cancellationToken).ConfigureAwait(false);
    }

    private IClientEngine CreateEngine(EndPoint destination, Command command)
    {
        // SOCKS4 carries IPv4 only: an IPv4-mapped IPv6 address goes as the IPv4 address it maps.
        if (Options.Protocol == ProxyProtocol.Socks4 && destination is IPEndPoint mapped)
        {
            destination = IPAddresses.Unmap(mapped);
        }

        Span<byte> buffer = stackalloc byte[Socks5EndPoint.MaxAddressLength];
        Socks5EndPoint target = Socks5EndPoint.FromEndPoint(destination, buffer);
        if (Options.Protocol == ProxyProtocol.Socks4)
        {
            return new Socks4ClientEngine(command, target, Socks4UserId());
        }

        // authority-form: host:port, an IPv6 address in brackets; a name is ASCII already (IDNA applied).
        string host = target.AddressType switch
        {
            AddressType.DomainName => Encoding.ASCII.GetString(target.Address.ToArray()),
            AddressType.IPv6 => "[" + new IPAddress(target.Address.ToArray()) + "]",
            _ => new IPAddress(target.Address.ToArray()).ToString(),
        };
        byte[] authority = Encoding.ASCII.GetBytes(host + ":" + target.Port.ToString(CultureInfo.InvariantCulture));
        byte[] credentials = [];
        if (Options.UserName is not null)
        {
            byte[] user = Encoding.UTF8.GetBytes(Options.UserName);
            byte[] password = Encoding.UTF8.GetBytes(Options.Password ?? string.Empty);
            credentials = new byte[HttpBasicCredentials.GetEncodedLength(user, password)];
            HttpBasicCredentials.TryEncode(user, password, credentials, out _);
        }

        return new HttpConnectClientEngine(authority, credentials);
    }

    // USERID: the user name as UTF-8, or nothing.
    private byte[] Socks4UserId()
    {
        byte[] userId = Options.UserName is null ? [] : Encoding.UTF8.GetBytes(Options.UserName);
        if (userId.Length > Socks4Request.MaxUserIdLength || Array.IndexOf(userId, (byte)0) >= 0)
        {
            throw new ArgumentException($"A SOCKS4 USERID has at most {Socks4Request.MaxUserIdLength} bytes of UTF-8 and no NUL.", "options");
        }

        return userId;
    }

    private async Task<Socks5ClientHandshake> HandshakeAsync(IDuplexPipe transport, EndPoint? proxy, Command command, EndPoint destination, CancellationToken cancellationToken)
    {
        if (destination is null)
        {
            throw new ArgumentNullException(nameof(destination));
        }

        EndPoint requested = command is Command.Resolve or Command.ResolvePtr
            ? destination
            : await ResolveLocallyAsync(destination, proxy, cancellationToken).ConfigureAwait(false);
        var handshake = new Socks5ClientHandshake(transport, CreateEngine(command, requested));
        long started = Stopwatch.GetTimestamp();
        Exception? error = null;
        try
        {
            await StepAsync(handshake, transport, proxy, destination, Options.HandshakeTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            error = ex;
            throw;
        }
        finally
        {
            RecordHandshake(command, started, error);
        }

        return handshake;
    }

    // With ResolveNamesLocally, a name becomes its first address (its first IPv4 address for SOCKS4).
    private async Task<EndPoint> ResolveLocallyAsync(EndPoint destination, EndPoint? proxy, CancellationToken cancellationToken)
    {
        if (!Options.ResolveNamesLocally || destination is not DnsEndPoint name)
        {
            return destination;
        }

        IPAddress[] addresses;
        try
        {
            addresses = await LookUpAsync(name.Host, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException ex)
        {
            throw new Socks5Exception($"Could not resolve {EndPoints.Escape(name.Host)}: {ex.Message}", HandshakeFailure.None, null, proxy, destination, ex);
        }

        bool ipv4Only = Options.Protocol == ProxyProtocol.Socks4;
        foreach (IPAddress address in addresses)
        {
            IPAddress plain = IPAddresses.Unmap(address);
            if (!ipv4Only)
            {
                return new IPEndPoint(address, name.Port);
            }

            if (plain.AddressFamily == AddressFamily.InterNetwork)
            {
                return new IPEndPoint(plain, name.Port);
            }
        }

        throw new Socks5Exception($"The name {EndPoints.Escape(name.Host)} has no {(ipv4Only ? "IPv4 " : string.Empty)}address.", HandshakeFailure.None, null, proxy, destination);
    }

    // socks5.client.handshake.duration, up to the reply that ends this step (the first one for BIND).
    private static void RecordHandshake(Command command, long started, Exception? error)
    {
        if (!Socks5Telemetry.ClientHandshakeDuration.Enabled)
        {
            return;
        }

        var tags = new TagList { { Socks5Telemetry.CommandTag, Socks5Telemetry.CommandValue(command) } };
        if (error is Socks5Exception { ReplyCode: { } refused })
        {
            tags.Add(Socks5Telemetry.ReplyCodeTag, Socks5Telemetry.ReplyCodeValue(refused));
        }
        else if (error is null)
        {
            tags.Add(Socks5Telemetry.ReplyCodeTag, Socks5Telemetry.ReplyCodeValue(ReplyCode.Succeeded));
        }

        if (error is not null)
        {
            tags.Add(Socks5Telemetry.ErrorTypeTag, error is Socks5Exception { Failure: not HandshakeFailure.None } failed
                ? Socks5Telemetry.FailureValue(failed.Failure)
                : Socks5Telemetry.ErrorType(error));
        }

        double seconds = (Stopwatch.GetTimestamp() - started) / (double)Stopwatch.Frequency;
        Socks5Telemetry.ClientHandshakeDuration.Record(seconds, in tags);
    }

    private Socks5ClientEngine CreateEngine(Command command, EndPoint destination)
    {
        Span<byte> buffer = stackalloc byte[Socks5EndPoint.MaxAddressLength];
        return new Socks5ClientEngine(command, Socks5EndPoint.FromEndPoint(destination, buffer), CreateAuthenticators(), Options.OfferNoAuthentication);
    }

    private List<ISocks5ClientAuthenticator> CreateAuthenticators()
    {
        var list = new List<ISocks5ClientAuthenticator>();
        if (Options.UserName is not null)
        {
            list.Add(new UsernamePasswordClientAuthenticator(Options.UserName, Options.Password ?? string.Empty));
        }

        if (Options.AuthenticatorFactory is not null)
        {
            list.AddRange(Options.AuthenticatorFactory());
        }

        return list;
    }

    // destination: for the exception when the proxy cannot be reached (null for UDP ASSOCIATE, which has none yet).
    private async Task<ProxyConnection> OpenAsync(EndPoint? destination, CancellationToken cancellationToken)
    {
        EndPoint proxy = Options.Proxy ?? throw new InvalidOperationException("Set the proxy's address.");
        if (Options.Via is Socks5Client via)
        {
            Socks5Tunnel tunnel = await via.ConnectAsync(proxy, cancellationToken).ConfigureAwait(false);
            return new ProxyConnection(tunnel, tunnel, proxy);
        }

        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (Options.ConnectTimeout != Timeout.InfiniteTimeSpan)
        {
            limit.CancelAfter(Options.ConnectTimeout);
        }

        try
        {
            SocketPipe pipe = await ConnectToProxyAsync(proxy, limit.Token).ConfigureAwait(false);
            return new ProxyConnection(pipe, pipe, pipe.RemoteEndPoint is IPEndPoint ip ? IPAddresses.Unmap(ip) : proxy);
        }
        catch (Exception ex) when (limit.IsCancellationRequested && ex is OperationCanceledException or ObjectDisposedException or SocketException)
        {
            cancellationToken.ThrowIfCancellationRequested();
            throw new TimeoutException($"Connecting to the proxy {EndPoints.Format(proxy)} took longer than {Options.ConnectTimeout.TotalSeconds:0.###} s.");
        }
        catch (SocketException ex)
        {
            throw new Socks5Exception($"Could not connect to the proxy {EndPoints.Format(proxy)}: {ex.Message}", HandshakeFailure.None, null, proxy, destination, ex);
        }
    }

    // A proxy given by name goes to the system's resolver inside the connect, unless the options bring their own: then
    // each address it gives is tried in turn. Failures are the SocketException of the last attempt, or of the lookup.
    private async Task<SocketPipe> ConnectToProxyAsync(EndPoint proxy, CancellationToken cancellationToken)
    {
        if (proxy is not DnsEndPoint name || Options.Resolver is null)
        {
            return await SocketPipe.ConnectAsync(proxy, cancellationToken).ConfigureAwait(false);
        }

        IPAddress[] addresses = await LookUpAsync(name.Host, cancellationToken).ConfigureAwait(false);
        if (addresses.Length == 0)
        {
            throw new SocketException((int)SocketError.HostNotFound);
        }

        for (int i = 0; ; i++)
        {
            try
            {
                return await SocketPipe.ConnectAsync(new IPEndPoint(addresses[i], name.Port), cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException) when (i < addresses.Length - 1 && !cancellationToken.IsCancellationRequested)
            {
                // The next address may answer.
            }
        }
    }

    private static Socket BindUdp(IPAddress local)
    {
        var udp = new Socket(local.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            udp.Bind(new IPEndPoint(local, 0));
            return udp;
        }
        catch
        {
            udp.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The relay's address from BND of the UDP ASSOCIATE reply, checked before anything is sent there: a name the proxy
    /// sends must be a host name and resolve (within the handshake timeout), and the address must have a port and (when
    /// <paramref name="udp"/> is bound already) the family of the address the proxy was told.
    /// </summary>
    private async Task<IPEndPoint> FindRelayAsync(EndPoint bound, EndPoint proxy, Socket? udp, CancellationToken cancellationToken)
    {
        EndPoint relay = bound;
        if (bound is DnsEndPoint named)
        {
            // Some proxies send an IP literal as ATYP X'03'.
            relay = EndPoints.FromHost(named.Host, named.Port);
            if (relay is DnsEndPoint && !EndPoints.IsHostName(named.Host))
            {
                throw Socks5ClientErrors.UnusableRelay(proxy, bound, "that is not a host name");
            }
        }

        if (relay is IPEndPoint { Port: 0 } or DnsEndPoint { Port: 0 })
        {
            throw Socks5ClientErrors.UnusableRelay(proxy, bound, "port 0 cannot receive datagrams");
        }

        AddressFamily? family = udp?.AddressFamily;
        relay = EndPoints.ReplaceUnspecified(relay, proxy);
        if (relay is DnsEndPoint name)
        {
            IPAddress[] addresses;
            // The proxy chose the name, so the lookup is part of its handshake and shares its bound.
            using (var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                if (Options.HandshakeTimeout != Timeout.InfiniteTimeSpan)
                {
                    limit.CancelAfter(Options.HandshakeTimeout);
                }

                try
                {
                    addresses = await LookUpAsync(name.Host, limit.Token).ConfigureAwait(false);
                }
                catch (SocketException ex)
                {
                    throw Socks5ClientErrors.UnusableRelay(proxy, bound, $"{EndPoints.Escape(name.Host)} could not be resolved ({ex.Message})", ex);
                }
                catch (OperationCanceledException) when (limit.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                {
                    throw new TimeoutException(
                        $"The proxy {EndPoints.Format(proxy)} named {EndPoints.Format(bound)} as its UDP relay, and resolving {EndPoints.Escape(name.Host)} took longer than {Options.HandshakeTimeout.TotalSeconds:0.###} s.");
                }
            }

            IPAddress? address = null;
            foreach (IPAddress candidate in addresses)
            {
                IPAddress plain = IPAddresses.Unmap(candidate);
                if (family is null || plain.AddressFamily == family)
                {
                    address = plain;
                    break;
                }
            }

            relay = address is null
                ? throw Socks5ClientErrors.UnusableRelay(proxy, bound, $"{EndPoints.Escape(name.Host)} has no {FamilyName(family)} address")
                : new IPEndPoint(address, name.Port);
        }

        var ip = (IPEndPoint)relay;
        if (family is not null && ip.AddressFamily != family)
        {
            throw Socks5ClientErrors.UnusableRelay(
                proxy, bound, $"the association's socket is {FamilyName(family)} ({EndPoints.Format(udp!.LocalEndPoint)}, the address the proxy was told) and cannot send there");
        }

        return ip;
    }

    private static string FamilyName(AddressFamily? family) => family switch
    {
        null => "usable",
        AddressFamily.InterNetworkV6 => "IPv6",
        _ => "IPv4",
    };

    // The injected resolver, or the system's. A failure is the SocketException Dns throws.
    private async Task<IPAddress[]> LookUpAsync(string host, CancellationToken cancellationToken)
    {
        if (Options.Resolver is { } resolve)
        {
            return await resolve(host, cancellationToken).ConfigureAwait(false) ?? [];
        }
        return await Platform.GetHostAddressesAsync(host, cancellationToken).ConfigureAwait(false);
    }

    private readonly record struct ProxyConnection(IDuplexPipe Pipe, IDisposable Owner, EndPoint EndPoint);
}
