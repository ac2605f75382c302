using System.Diagnostics;
using System.IO.Pipelines;
using System.Collections.Generic;
using System.Net.Sockets;
using System.Net;
using System.Text;
using System.Threading.Tasks;
using System.Threading;
using System;
using Socks5.Protocol.Diagnostics;
using Socks5.Protocol.Engine;
using Socks5.Protocol.Internal;
using Socks5.Protocol.Pipelines;
using Socks5.Protocol.Transport;
using Socks5.Protocol.Wire;

namespace Socks5.Protocol.Server;

/// <summary>
/// One client connection of a <see cref="Socks5Server"/>: drives the handshake up to the request, serves a CONNECT itself,
/// hands a BIND to <see cref="BindCommand"/> and a UDP ASSOCIATE to <see cref="UdpAssociateCommand"/>, then reports.
/// Which destinations a request may use is <see cref="DestinationPolicy"/>'s to say.
/// </summary>
internal sealed partial class Socks5ServerConnection
{
    private readonly Socks5Server _server;
    private readonly Socks5ServerOptions _options;
    private readonly IDuplexPipe _client;
    private readonly EndPoint? _remote;
    private readonly EndPoint? _local;
    private readonly IDisposable? _owned;
    private readonly IDisposable? _linked;
    private readonly long _started;
    // Dropped once the last reply is out (see Established): a tunnel may live for hours and needs none of it.
    private Socks5ServerHandshake? _handshake;
    private HandshakeFailure _failure;
    private SocketPipe? _peer; // the CONNECT target or the BIND peer, closed with the connection
    private string? _user;
    private RequestInfo? _request;
    private ReplyCode? _reply;
    private long _fromClient;
    private long _toClient;
    // The authenticated user's slot in the server's user table (null: anonymous, or refused), and whether the user was
    // over MaxConnectionsPerUser (the request is then answered X'02').
    private UserTable.Slot? _userSlot;
    private bool _overUserLimit;
    // Telemetry. Whether this connection added itself to socks5.server.active_connections (it takes itself off only then,
    // so a listener that comes or goes meanwhile never sees the count drift); the handshake's activity, null while nobody
    // listens; whether the handshake's end (its reply, or its failure) was recorded.
    private readonly bool _countedActive;
    private Activity? _activity;
    private bool _handshakeEnded;

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
        _started = _options.TimeProvider.GetTimestamp();
        _handshake = new Socks5ServerHandshake(client, new Socks5ServerEngine(server.EngineOptions));
        if (Socks5Telemetry.ActiveConnections.Enabled)
        {
            Socks5Telemetry.ActiveConnections.Add(1);
            _countedActive = true;
        }

        _activity = StartHandshakeActivity();
    }

    /// <summary>The server: options, policy, counters.</summary>
    public Socks5Server Server => _server;

    /// <summary>The client's connection.</summary>
    public IDuplexPipe Client => _client;

    /// <summary>The client's address.</summary>
    public EndPoint? RemoteEndPoint => _remote;

    /// <summary>The address the client connected to.</summary>
    public EndPoint? LocalEndPoint => _local;

    /// <summary>The authenticated RFC 1929 user, if any.</summary>
    public string? UserName => _user;

    /// <summary>The IP the client reached us on (IPv4-mapped addresses unmapped); loopback when the host did not say.</summary>
    public IPAddress LocalAddress => _local is IPEndPoint ip ? IPAddresses.Unmap(ip.Address) : IPAddress.Loopback;

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
                _request ??= RequestInfo.From(Handshake.Engine.Request);
                Task<RelayResult>? relay;
                try
                {
                    relay = await ServeRequestAsync(_request, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception) when (_handshake is { } h ? h.Engine.State is ServerEngineState.RequestDecisionPending or ServerEngineState.SecondReplyPending : _protocol != InboundProtocol.Socks5 && _reply is null)
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
            if (_overUserLimit)
            {
                _server.CountUserLimitRejection();
            }

            var report = new Socks5ConnectionReport
            {
                Client = _remote,
                UserName = _user,
                Protocol = _protocol,
                Command = _request?.Command,
                Destination = _request?.Destination,
                ReplyCode = _reply,
                Failure = _handshake?.Engine.Failure ?? _failure,
                Error = error,
                BytesFromClient = _fromClient,
                BytesToClient = _toClient,
                Duration = _options.TimeProvider.GetElapsedTime(_started),
            };
            RecordEnd(report, error);
            _server.OnConnectionClosed(report);
        }
        finally
        {
            if (_userSlot is not null)
            {
                _server.Users.Exit(_userSlot, _fromClient, _toClient);
            }

            _linked?.Dispose();
            _owned?.Dispose();
            if (_countedActive)
            {
                Socks5Telemetry.ActiveConnections.Add(-1);
            }

            _server.OnConnectionEnded();
        }
    }

    // The handshake up to the request, within the handshake timeout.
    private async Task<ServerEvent> ReadRequestAsync(CancellationToken cancellationToken)
    {
        using Deadline handshakeTimeout = Deadline.Start(_options.TimeProvider, _options.HandshakeTimeout, cancellationToken);
        try
        {
            return await ReadRequestCoreAsync(handshakeTimeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (handshakeTimeout.Expired)
        {
            throw new TimeoutException("The client did not complete the handshake in time.", ex);
        }
    }

    private async Task<ServerEvent> ReadRequestCoreAsync(CancellationToken cancellationToken)
    {
        _protocol = await DetectAsync(cancellationToken).ConfigureAwait(false);
        if (_protocol != InboundProtocol.Socks5)
        {
            _handshake = null; // the SOCKS5 engine has nothing to do
            return _protocol == InboundProtocol.HttpConnect
                ? await ReadHttpConnectRequestAsync(cancellationToken).ConfigureAwait(false)
                : await ReadSocks4RequestAsync(cancellationToken).ConfigureAwait(false);
        }

        Socks5ServerHandshake handshake = Handshake;
        ServerEvent e = await handshake.ReadAsync(cancellationToken).ConfigureAwait(false);
        if (e == ServerEvent.CredentialsReceived)
        {
            Socks5ServerEngine engine = handshake.Engine;
            string user = Encoding.UTF8.GetString(engine.UserName.ToArray());
            string password = Encoding.UTF8.GetString(engine.Password.ToArray());
            bool accepted = await CheckCredentialsAsync(user, password, cancellationToken).ConfigureAwait(false);
            e = await handshake.AcceptCredentialsAsync(accepted, cancellationToken).ConfigureAwait(false);
        }

        return e;
    }

    private async Task TryReplyAsync(ReplyCode code)
    {
        try
        {
            using Deadline timeout = Deadline.Start(_options.TimeProvider, TimeSpan.FromSeconds(5), CancellationToken.None);
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
        _ when _overUserLimit => ReplyOnlyAsync(ReplyCode.ConnectionNotAllowed, cancellationToken),
        Command.Connect => ConnectAsync(request, cancellationToken),
        Command.Resolve when _options.EnableResolve && _protocol != InboundProtocol.Socks4 => ResolveCommand.ResolveAsync(this, request, cancellationToken),
        Command.ResolvePtr when _options.EnableResolve && _protocol == InboundProtocol.Socks5 => ResolveCommand.ResolvePtrAsync(this, request, cancellationToken),
        _ when _protocol != InboundProtocol.Socks5 => ReplyOnlyAsync(ReplyCode.CommandNotSupported, cancellationToken), // SOCKS4 BIND
        Command.Bind when _options.EnableBind => BindCommand.RunAsync(this, request, cancellationToken),
        Command.UdpAssociate when _options.EnableUdpAssociate => UdpAssociateCommand.RunAsync(this, request, cancellationToken),
        _ => ReplyOnlyAsync(ReplyCode.CommandNotSupported, cancellationToken),
    };

    private async Task<Task<RelayResult>?> ReplyOnlyAsync(ReplyCode code, CancellationToken cancellationToken)
    {
        await ReplyAsync(code, null, cancellationToken).ConfigureAwait(false);
        return null;
    }

    private async Task<Task<RelayResult>?> ConnectAsync(RequestInfo request, CancellationToken cancellationToken)
    {
        long dialStarted = _options.TimeProvider.GetTimestamp();
        (Socket? target, ReplyCode failure) = await DialAllowedAsync(request, cancellationToken).ConfigureAwait(false);
        RecordDial(dialStarted, target is null ? failure : ReplyCode.Succeeded);
        if (target is null)
        {
            await ReplyAsync(failure, null, cancellationToken).ConfigureAwait(false);
            return null;
        }

        var peer = new SocketPipe(target);
        return await EstablishAsync(peer, peer.LocalEndPoint, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The last reply of a CONNECT or BIND, naming <paramref name="bound"/>, then the relay between the client and
    /// <paramref name="peer"/> (closed with the connection from now on). Null when the client is not to be relayed.
    /// </summary>
    public async ValueTask<Task<RelayResult>?> EstablishAsync(SocketPipe peer, EndPoint? bound, CancellationToken cancellationToken)
    {
        _peer = peer;
        if (await ReplyAsync(ReplyCode.Succeeded, bound, cancellationToken).ConfigureAwait(false) != ServerEvent.Established)
        {
            return null;
        }

        // A user's tunnels share the user's rate limits; an anonymous one has its own. Usually there are none (nulls).
        (ByteRateLimiter? fromClient, ByteRateLimiter? toClient) = _userSlot is { } slot
            ? (slot.Entry.FromClientsLimit, slot.Entry.ToClientsLimit)
            : _server.Users.AnonymousLimits();
        Task<RelayResult> relay = Socks5Relay.RunAsync(_client, peer, _server.Relay, fromClient, toClient, out IRelayProgress tunnel, cancellationToken);
        if (_userSlot is not null)
        {
            _userSlot.Tunnel = tunnel; // from now on the user's statistics read its bytes live
        }

        return relay;
    }

    /// <summary>What a UDP association relayed, for the report.</summary>
    public void CountUdp(long fromClient, long toClient)
    {
        _fromClient = fromClient;
        _toClient = toClient;
    }

    // Resolves, applies the access rule and connects to the first address that answers, within the connect timeout. A
    // method of its own so that its frame is gone by the time the tunnel runs.
    private async Task<(Socket? Target, ReplyCode Failure)> DialAllowedAsync(RequestInfo request, CancellationToken cancellationToken)
    {
        Socket? target = null;
        ReplyCode failure = ReplyCode.GeneralFailure;
        using (Deadline connectTimeout = Deadline.Start(_options.TimeProvider, _options.ConnectTimeout, cancellationToken))
        {
            try
            {
                (IPEndPoint[] allowed, ReplyCode resolveFailure) = await _server.Policy.AllowedAsync(this, request, connectTimeout.Token).ConfigureAwait(false);
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
                _dialTimedOut = true; // HTTP CONNECT answers it 504
            }
        }

        return (target, failure);
    }

    /// <summary>Sends the reply; once the last one is out, the handshake's engine and buffers are let go.</summary>
    public async ValueTask<ServerEvent> ReplyAsync(ReplyCode code, EndPoint? bound, CancellationToken cancellationToken)
    {
        _reply = code;
        if (bound is IPEndPoint ip)
        {
            bound = new IPEndPoint(IPAddresses.Unmap(ip.Address), ip.Port);
        }

        if (_protocol != InboundProtocol.Socks5)
        {
            return await ReplyOtherAsync(code, bound, cancellationToken).ConfigureAwait(false);
        }

        Socks5ServerHandshake handshake = Handshake;
        ServerEvent e = await handshake.ReplyAsync(code, bound, cancellationToken).ConfigureAwait(false);
        EndHandshake(handshake.Engine, null); // the first reply is the handshake's end (BIND's second one is not)
        if (e == ServerEvent.Established)
        {
            // Nothing more to say: the engine and its buffers can go while the tunnel lives on.
            _failure = handshake.Engine.Failure;
            _handshake = null;
        }

        return e;
    }

    private async ValueTask<Socket> DialAsync(IPEndPoint destination, CancellationToken cancellationToken)
    {
        if (_options.Dialer is { } dial)
        {
            Socket dialed = await dial(destination, cancellationToken).ConfigureAwait(false);
            try
            {
                Platform.SetKeepAlive(dialed, _options.TcpKeepAlive);
            }
            catch (Exception ex) when (ex is SocketException or NotSupportedException or ObjectDisposedException)
            {
                // A socket the dialer made that takes no TCP options (not TCP, or already closed): relayed as it is.
            }

            return dialed;
        }

        var socket = new Socket(destination.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            Platform.SetKeepAlive(socket, _options.TcpKeepAlive);
            await socket.ConnectAsync(destination, cancellationToken).ConfigureAwait(false);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Waits for a task that was only watched, whatever its end.</summary>
    public static async Task IgnoreAsync(Task task)
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
