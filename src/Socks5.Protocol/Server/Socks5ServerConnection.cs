using System.Diagnostics;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Net;
using System.Text;
using System.Threading.Tasks;
using System.Threading;
using System;
using Socks5.Protocol.Engine;
using Socks5.Protocol.Internal;
using Socks5.Protocol.Pipelines;
using Socks5.Protocol.Transport;
using Socks5.Protocol.Wire;

namespace Socks5.Protocol.Server;

/// <summary>One client connection of a <see cref="Socks5Server"/>: the handshake, then CONNECT, BIND or UDP ASSOCIATE.</summary>
internal sealed class Socks5ServerConnection
{
    private readonly Socks5Server _server;
    private readonly Socks5ServerOptions _options;
    private readonly IDuplexPipe _client;
    private readonly EndPoint? _remote;
    private readonly EndPoint? _local;
    private readonly IDisposable? _owned;
    private readonly IDisposable? _linked;
    private readonly long _started = Stopwatch.GetTimestamp();
    // Dropped once the last reply is out (see Established): a tunnel may live for hours and needs none of it.
    private Socks5ServerHandshake? _handshake;
    private HandshakeFailure _failure;
    private SocketPipe? _peer; // the CONNECT target or the BIND peer, closed with the connection
    private string? _user;
    private RequestInfo? _request;
    private ReplyCode? _reply;
    private long _fromClient;
    private long _toClient;

    /// <param name="server">The server: options, credentials, counters and the report hook.</param>
    /// <param name="client">The client's connection.</param>
    /// <param name="remote">The client's address.</param>
    /// <param name="local">The address the client connected to.</param>
    /// <param name="owned">Closed when the connection is over (the accept loop's socket); null when the host closes it.</param>
    /// <param name="linked">The token source behind the cancellation token, disposed when the connection is over.</param>
    public Socks5ServerConnection(Socks5Server server, IDuplexPipe client, EndPoint? remote, EndPoint? local, IDisposable? owned, IDisposable? linked)
    {
        _server = server;
        _owned = owned;
        _linked = linked;
        _options = server.Options;
        _client = client;
        _remote = remote;
        _local = local;
        _handshake = new Socks5ServerHandshake(client, new Socks5ServerEngine(server.EngineOptions));
    }

    /// <summary>The IP the client reached us on (IPv4-mapped addresses unmapped); loopback when the host did not say.</summary>
    private IPAddress LocalAddress => _local is IPEndPoint ip ? IPAddresses.Unmap(ip.Address) : IPAddress.Loopback;

    private Socks5ServerHandshake Handshake => _handshake ?? throw new InvalidOperationException("The handshake is over.");

    /// <summary>Serves the connection, reports it to the server, closes what it owns. Never throws.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        Exception? error = null;
        try
        {
            ServerEvent e = await ReadRequestAsync(cancellationToken).ConfigureAwait(false);

            // MustClose: the engine wrote what the client is owed; the report says why.
            if (e == ServerEvent.RequestReceived)
            {
                _request = RequestInfo.From(Handshake.Engine.Request);
                Task<RelayResult>? relay;
                try
                {
                    relay = await ServeRequestAsync(_request, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception) when (_handshake?.Engine.State is ServerEngineState.RequestDecisionPending or ServerEngineState.SecondReplyPending)
                {
                    // A hook (resolver, access rule, dialer) or the network failed before the client got its reply: it
                    // is still owed one. The exception goes on to the report.
                    await TryReplyAsync(ReplyCode.GeneralFailure).ConfigureAwait(false);
                    throw;
                }

                if (relay is not null)
                {
                    RelayResult result = await relay.ConfigureAwait(false);
                    _fromClient = result.BytesFromFirst;
                    _toClient = result.BytesFromSecond;
                    error = result.Error; // a reset, or the relay's own failure (memory running out): the report says why
                }
            }
        }
        catch (Exception ex)
        {
            error = ex;
        }

        try
        {
            _peer?.Dispose();
            _server.OnConnectionClosed(new Socks5ConnectionReport(
                _remote,
                _user,
                _request?.Command,
                _request?.Destination,
                _reply,
                _handshake?.Failure ?? _failure,
                error,
                _fromClient,
                _toClient,
                TimeSpan.FromSeconds((Stopwatch.GetTimestamp() - _started) / (double)Stopwatch.Frequency)));
        }
        finally
        {
            _linked?.Dispose();
            _owned?.Dispose();
            _server.OnConnectionEnded();
        }
    }

    // The handshake up to the request, within the handshake timeout.
    private async Task<ServerEvent> ReadRequestAsync(CancellationToken cancellationToken)
    {
        using var handshakeTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        handshakeTimeout.CancelAfter(_options.HandshakeTimeout);
        try
        {
            return await ReadRequestCoreAsync(handshakeTimeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (handshakeTimeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException("The client did not complete the handshake in time.", ex);
        }
    }

    private async Task<ServerEvent> ReadRequestCoreAsync(CancellationToken cancellationToken)
    {
        Socks5ServerHandshake handshake = Handshake;
        ServerEvent e = await handshake.ReadAsync(cancellationToken).ConfigureAwait(false);
        if (e == ServerEvent.CredentialsReceived)
        {
            Socks5ServerEngine engine = handshake.Engine;
            string user = Encoding.UTF8.GetString(engine.UserName.ToArray());
            string password = Encoding.UTF8.GetString(engine.Password.ToArray());
            bool accepted = _options.ValidateCredentials is { } validate
                ? await validate(user, password, cancellationToken).ConfigureAwait(false)
                : _server.Credentials.Check(user, password);
            _user = accepted ? user : null;
            e = await handshake.AcceptCredentialsAsync(accepted, cancellationToken).ConfigureAwait(false);
        }

        return e;
    }

    private async Task TryReplyAsync(ReplyCode code)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await ReplyAsync(code, null, timeout.Token).ConfigureAwait(false);
        }
        catch
        {
            // The client is gone or stuck: closing is all that is left.
        }
    }

    // The command up to its last reply. A CONNECT or BIND returns the running relay: RunAsync's frame is then the only
    // one that waits for it, since every frame that waits stays alive (on the heap) for the tunnel's whole life.
    private Task<Task<RelayResult>?> ServeRequestAsync(RequestInfo request, CancellationToken cancellationToken) => request.Command switch
    {
        Command.Connect => ConnectAsync(request, cancellationToken),
        Command.Bind when _options.EnableBind => BindAsync(request, cancellationToken),
        Command.UdpAssociate when _options.EnableUdpAssociate => AssociateAsync(request, cancellationToken),
        _ => NotSupportedAsync(cancellationToken),
    };

    private async Task<Task<RelayResult>?> NotSupportedAsync(CancellationToken cancellationToken)
    {
        await ReplyAsync(ReplyCode.CommandNotSupported, null, cancellationToken).ConfigureAwait(false);
        return null;
    }

    private async Task<Task<RelayResult>?> ConnectAsync(RequestInfo request, CancellationToken cancellationToken)
    {
        (Socket? target, ReplyCode failure) = await DialAllowedAsync(request, cancellationToken).ConfigureAwait(false);
        if (target is null)
        {
            await ReplyAsync(failure, null, cancellationToken).ConfigureAwait(false);
            return null;
        }

        _peer = new SocketPipe(target);
        if (await ReplyAsync(ReplyCode.Succeeded, _peer.LocalEndPoint, cancellationToken).ConfigureAwait(false) != ServerEvent.Established)
        {
            return null;
        }

        return Socks5Relay.RunAsync(_client, _peer, _options.IdleTimeout, _options.RelayBufferPool, cancellationToken);
    }

    // Resolves, applies the access rule and connects to the first address that answers, within the connect timeout. A
    // method of its own so that its frame is gone by the time the tunnel runs.
    private async Task<(Socket? Target, ReplyCode Failure)> DialAllowedAsync(RequestInfo request, CancellationToken cancellationToken)
    {
        Socket? target = null;
        ReplyCode failure = ReplyCode.GeneralFailure;
        using (var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            connectTimeout.CancelAfter(_options.ConnectTimeout);
            try
            {
                (IPEndPoint[] allowed, ReplyCode resolveFailure) = await ResolveAllowedAsync(request, connectTimeout.Token).ConfigureAwait(false);
                failure = resolveFailure;
                foreach (IPEndPoint candidate in allowed)
                {
                    try
                    {
                        target = await DialAsync(candidate, connectTimeout.Token).ConfigureAwait(false);
                        break;
                    }
                    catch (SocketException ex)
                    {
                        failure = ReplyCodes.For(ex);
                    }
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                failure = ReplyCode.GeneralFailure; // the connect timeout
            }
        }

        return (target, failure);
    }

    private async Task<Task<RelayResult>?> BindAsync(RequestInfo request, CancellationToken cancellationToken)
    {
        (IPAddress[] expected, ReplyCode failure) = await ExpectedPeersAsync(request, cancellationToken).ConfigureAwait(false);
        if (expected.Length == 0)
        {
            await ReplyAsync(failure, null, cancellationToken).ConfigureAwait(false);
            return null;
        }

        // Listen on the address the client reached us on: a family and an interface the client can reach.
        IPAddress local = LocalAddress;
        using var listener = new Socket(local.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(local, 0));
        listener.Listen(1);
        var listening = (IPEndPoint)listener.LocalEndPoint!;
        var advertised = new IPEndPoint(_options.AdvertisedAddress ?? listening.Address, listening.Port);
        if (await ReplyAsync(ReplyCode.Succeeded, advertised, cancellationToken).ConfigureAwait(false) != ServerEvent.SecondReplyRequired)
        {
            return null;
        }

        Socket? peer = null;
        using (var bindTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            bindTimeout.CancelAfter(_options.BindTimeout);
            Task<bool> clientGone = ClientClosedAsync(bindTimeout.Token);
            try
            {
                using (bindTimeout.Token.Register(static s => ((Socket)s!).Dispose(), listener))
                {
                    while (peer is null)
                    {
                        Task<Socket> accept = listener.AcceptAsync();
                        if (await Task.WhenAny(accept, clientGone).ConfigureAwait(false) != accept && await clientGone.ConfigureAwait(false))
                        {
                            return null; // the client left: nobody to tell
                        }

                        Socket candidate = await accept.ConfigureAwait(false);
                        bool taken = false;
                        try
                        {
                            taken = await IsExpectedPeerAsync(request, candidate, expected, bindTimeout.Token).ConfigureAwait(false);
                        }
                        finally
                        {
                            if (!taken)
                            {
                                candidate.Dispose(); // not the peer the client is waiting for: it may still come
                            }
                        }

                        peer = taken ? candidate : null;
                    }
                }
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                peer = null;
            }
            finally
            {
                if (!clientGone.IsCompleted)
                {
                    // End the watch; the relay reads again after a canceled read, so nothing is lost.
                    _client.Input.CancelPendingRead();
                }

                await IgnoreAsync(clientGone).ConfigureAwait(false);
            }
        }

        if (peer is null)
        {
            await ReplyAsync(ReplyCode.GeneralFailure, null, cancellationToken).ConfigureAwait(false);
            return null;
        }

        _peer = new SocketPipe(peer);
        if (await ReplyAsync(ReplyCode.Succeeded, _peer.RemoteEndPoint, cancellationToken).ConfigureAwait(false) != ServerEvent.Established)
        {
            return null;
        }

        return Socks5Relay.RunAsync(_client, _peer, _options.IdleTimeout, _options.RelayBufferPool, cancellationToken);
    }

    // RFC 1928: the server uses DST.ADDR in evaluating the BIND. The addresses a peer may come from (the literal, or the
    // name resolved), each allowed by the access rule; 0.0.0.0 or :: stands for any peer. Empty with the reply owed.
    private async Task<(IPAddress[] Expected, ReplyCode Failure)> ExpectedPeersAsync(RequestInfo request, CancellationToken cancellationToken)
    {
        IPAddress[] addresses = await AddressesOfAsync(request, cancellationToken).ConfigureAwait(false);
        if (addresses.Length == 0)
        {
            return (addresses, ReplyCode.HostUnreachable);
        }

        var expected = new System.Collections.Generic.List<IPAddress>(addresses.Length);
        foreach (IPAddress address in addresses)
        {
            var from = new IPEndPoint(IPAddresses.Unmap(address), request.Port);
            if (await IsAllowedByRuleAsync(request.Command, request.Host, from, cancellationToken).ConfigureAwait(false))
            {
                expected.Add(from.Address);
            }
        }

        return (expected.ToArray(), ReplyCode.ConnectionNotAllowed);
    }

    // A peer that connected to BIND's listener is taken when it comes from an expected address and passes the check.
    private async ValueTask<bool> IsExpectedPeerAsync(RequestInfo request, Socket candidate, IPAddress[] expected, CancellationToken cancellationToken)
    {
        IPEndPoint peer = IPAddresses.Unmap((IPEndPoint)candidate.RemoteEndPoint!);
        foreach (IPAddress address in expected)
        {
            if (IPAddresses.IsUnspecified(address) || address.Equals(peer.Address))
            {
                return await IsAllowedDestinationAsync(request.Command, request.Host, peer, cancellationToken).ConfigureAwait(false);
            }
        }

        return false;
    }

    private async Task<Task<RelayResult>?> AssociateAsync(RequestInfo request, CancellationToken cancellationToken)
    {
        if (!_server.TryEnterUdpAssociation())
        {
            await ReplyAsync(ReplyCode.GeneralFailure, null, cancellationToken).ConfigureAwait(false);
            return null;
        }

        try
        {
            // RFC 1928 §7: datagrams are accepted from the address the client named, or when it named none from its TCP
            // address (or, with LearnUdpClientAddress, from any: the unspecified address); a zero port, and an
            // unspecified address, are learned from the first datagram.
            IPAddress clientAddress = request.Address is { } named && !IPAddresses.IsUnspecified(IPAddresses.Unmap(named))
                ? IPAddresses.Unmap(named)
                : _options.LearnUdpClientAddress ? IPAddress.Any
                : (_remote as IPEndPoint)?.Address is { } peer ? IPAddresses.Unmap(peer) : IPAddress.Loopback;
            using var relay = new UdpRelay(this, _options, LocalAddress, new IPEndPoint(clientAddress, request.Port));
            var advertised = new IPEndPoint(_options.AdvertisedAddress ?? relay.LocalEndPoint.Address, relay.LocalEndPoint.Port);
            if (await ReplyAsync(ReplyCode.Succeeded, advertised, cancellationToken).ConfigureAwait(false) != ServerEvent.Established)
            {
                return null;
            }

            using var ended = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            Task relaying = relay.RunAsync(ended.Token);
            // The association lives as long as its TCP connection: wait for the client to close it.
            Task closed = DrainUntilClosedAsync(ended.Token);
            await Task.WhenAny(relaying, closed).ConfigureAwait(false);
            ended.Cancel();
            await IgnoreAsync(relaying).ConfigureAwait(false);
            await IgnoreAsync(closed).ConfigureAwait(false);
            _fromClient = relay.BytesFromClient;
            _toClient = relay.BytesToClient;
            return null; // the association is over: nothing left to relay
        }
        finally
        {
            _server.ExitUdpAssociation();
        }
    }

    private async ValueTask<ServerEvent> ReplyAsync(ReplyCode code, EndPoint? bound, CancellationToken cancellationToken)
    {
        _reply = code;
        if (bound is IPEndPoint ip)
        {
            bound = new IPEndPoint(IPAddresses.Unmap(ip.Address), ip.Port);
        }

        Socks5ServerHandshake handshake = Handshake;
        ServerEvent e = await handshake.ReplyAsync(code, bound, cancellationToken).ConfigureAwait(false);
        if (e == ServerEvent.Established)
        {
            // Nothing more to say: the engine and its buffers can go while the tunnel lives on.
            _failure = handshake.Failure;
            _handshake = null;
        }

        return e;
    }

    // The addresses a CONNECT may dial: resolved, then filtered by the destination check. The failure says why none is left.
    private async Task<(IPEndPoint[] Allowed, ReplyCode Failure)> ResolveAllowedAsync(RequestInfo request, CancellationToken cancellationToken)
    {
        IPAddress[] addresses = await AddressesOfAsync(request, cancellationToken).ConfigureAwait(false);
        if (addresses.Length == 0)
        {
            return (Array.Empty<IPEndPoint>(), ReplyCode.HostUnreachable);
        }

        var allowed = new System.Collections.Generic.List<IPEndPoint>(addresses.Length);
        foreach (IPAddress address in addresses)
        {
            var candidate = new IPEndPoint(IPAddresses.Unmap(address), request.Port);
            if (await IsAllowedDestinationAsync(request.Command, request.Host, candidate, cancellationToken).ConfigureAwait(false))
            {
                allowed.Add(candidate);
            }
        }

        return (allowed.ToArray(), allowed.Count == 0 ? ReplyCode.ConnectionNotAllowed : ReplyCode.GeneralFailure);
    }

    // DST.ADDR as addresses: the literal, or what the name resolves to (empty when it does not resolve).
    private async ValueTask<IPAddress[]> AddressesOfAsync(RequestInfo request, CancellationToken cancellationToken)
    {
        if (request.Address is { } literal)
        {
            return new[] { literal };
        }

        try
        {
            return await _options.ResolveAsync(request.Host, cancellationToken).ConfigureAwait(false) ?? Array.Empty<IPAddress>();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // SocketException (no such name) and ArgumentException (a name the resolver cannot take) alike.
            return Array.Empty<IPAddress>();
        }
    }

    /// <summary>
    /// The one check before the server dials an address, takes a BIND peer from it, or sends a datagram to it: never an
    /// unspecified address (0.0.0.0 and :: reach this machine), never one of the server's own listeners unless the host
    /// allows it (a client could have the server connect to itself over and over), then the host's access rule.
    /// </summary>
    /// <param name="command">The request's command, for the rule.</param>
    /// <param name="host">DST.ADDR as the client sent it, for the rule.</param>
    /// <param name="destination">The address, IPv4-mapped ones already as IPv4: what is checked is what is used.</param>
    /// <param name="cancellationToken">Passed to the rule.</param>
    internal ValueTask<bool> IsAllowedDestinationAsync(Command command, string host, IPEndPoint destination, CancellationToken cancellationToken) =>
        IPAddresses.IsUnspecified(destination.Address) || (!_options.AllowSelfConnect && _server.IsOwnEndPoint(destination, _local))
            ? new ValueTask<bool>(false)
            : IsAllowedByRuleAsync(command, host, destination, cancellationToken);

    private async ValueTask<bool> IsAllowedByRuleAsync(Command command, string host, IPEndPoint destination, CancellationToken cancellationToken) =>
        _options.AccessRule is not { } rule
        || await rule(new Socks5AccessRequest(_remote, _user, command, host, destination), cancellationToken).ConfigureAwait(false);

    private async ValueTask<Socket> DialAsync(IPEndPoint destination, CancellationToken cancellationToken)
    {
        if (_options.Dialer is { } dial)
        {
            return await dial(destination, cancellationToken).ConfigureAwait(false);
        }

        var socket = new Socket(destination.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(destination, cancellationToken).ConfigureAwait(false);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    // Watches the client while BIND waits: true when it closed, false when data arrived or the watch was cancelled.
    // The data, if any, stays in the reader for the relay.
    private async Task<bool> ClientClosedAsync(CancellationToken cancellationToken)
    {
        try
        {
            ReadResult result = await _client.Input.ReadAsync(cancellationToken).ConfigureAwait(false);
            _client.Input.AdvanceTo(result.Buffer.Start);
            return result.IsCompleted && result.Buffer.IsEmpty && !result.IsCanceled;
        }
        catch (OperationCanceledException)
        {
            return false; // the bind timeout: the accept fails the same way and gets the reply
        }
    }

    // During a UDP association the TCP connection carries nothing: read and discard until the client closes it.
    private async Task DrainUntilClosedAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            ReadResult result = await _client.Input.ReadAsync(cancellationToken).ConfigureAwait(false);
            _client.Input.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted || result.IsCanceled)
            {
                return;
            }
        }
    }

    private static async Task IgnoreAsync(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch
        {
            // The task was only watched; its end is all that mattered.
        }
    }

}
