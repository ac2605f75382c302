using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.IO.Pipelines;
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

namespace Socks5.Protocol.Server;

/// <summary>
/// A SOCKS5 server: CONNECT, BIND and UDP ASSOCIATE, with authentication, an access rule, a pluggable resolver and dialer,
/// timeouts and limits. It can own its accept loops (<see cref="Start"/>) or serve connections a host accepted itself
/// (<see cref="HandleConnectionAsync"/>, e.g. from a Kestrel <c>ConnectionHandler</c>).
/// </summary>
/// <remarks>
/// Nothing thrown while serving a connection escapes: every connection ends in one
/// <see cref="Socks5ServerOptions.ConnectionClosed"/> report and is counted in <see cref="Statistics"/>.
/// <c>await using</c> stops it gracefully (see <see cref="DisposeAsync"/>); <see cref="Dispose"/> closes everything at once.
/// </remarks>
public sealed class Socks5Server : IDisposable, IAsyncDisposable
{
    /// <summary>How long <see cref="DisposeAsync"/> lets open connections finish.</summary>
    private static readonly TimeSpan DefaultDrainTimeout = TimeSpan.FromSeconds(5);

    /// <summary>How long <see cref="StopAsync"/> waits for the connections it cancelled to close.</summary>
    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(5);

    private readonly Socks5ServerOptions _options;
    private readonly Socks5ServerEngineOptions _engineOptions;
    private readonly CredentialStore _credentials;
    private readonly DestinationPolicy _policy;
    private readonly UserTable _users;
    private readonly IPEndPoint[] _listen; // Options.Listen, parsed
    private readonly IPAddress? _advertised;
    private readonly RelaySettings _relay; // every tunnel's relay runs so
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Socket> _listeners = new();
    private readonly List<IPEndPoint> _localEndPoints = new();
    private readonly List<Task> _acceptLoops = new();
    private TaskCompletionSource<bool>? _allEnded; // set by StopAsync; completed when no connection is left
    private int _active;
    private int _udpAssociations;
    private long _accepted;
    private long _rejected;
    private long _failed;
    private int _disposed;

    /// <summary>Creates a server. Nothing listens until <see cref="Start"/>.</summary>
    /// <param name="options">The settings; read when the server is created and when connections arrive.</param>
    /// <exception cref="ArgumentException">
    /// A string of <see cref="Socks5ServerOptions.Listen"/> or <see cref="Socks5ServerOptions.Advertise"/> is not an IP
    /// address (and port) of the documented form, or both <see cref="Socks5ServerOptions.Advertise"/> and
    /// <see cref="Socks5ServerOptions.AdvertisedAddress"/> are set, or a range of <see cref="Socks5ServerOptions.Egress"/>
    /// is not a CIDR range. The message names the string.
    /// </exception>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="Socks5ServerOptions.RelayBufferBudget"/> is negative.</exception>
    public Socks5Server(Socks5ServerOptions? options = null)
    {
        _options = options ?? new Socks5ServerOptions();
        (_listen, _advertised) = ParseTextForms(_options);
        _policy = new DestinationPolicy(_options, EgressRules.Parse(_options.Egress));
        _credentials = new CredentialStore(_options.Users);
        _users = new UserTable(_options);
        _relay = new RelaySettings
        {
            IdleTimeout = _options.IdleTimeout,
            HalfCloseTimeout = _options.HalfCloseTimeout,
            Pool = _options.RelayBufferPool,
            Budget = _options.RelayBufferBudget is long budget ? new RelayBufferBudget(budget) : RelayBufferBudget.Shared,
            Clock = _options.TimeProvider,
            ServerIo = true,
            Splice = _options.RelaySplice ?? new RelaySettings().Splice,
        };
        // RESOLVE and RESOLVE_PTR reach the connection only when served; other unknown commands are then answered there.
        _engineOptions = new Socks5ServerEngineOptions { AuthenticatorFactory = _options.AuthenticatorFactory, AllowUnknownCommands = _options.EnableResolve };
        _engineOptions.Methods.Clear();
        foreach (AuthenticationMethod method in _options.ExtraMethods)
        {
            _engineOptions.Methods.Add(method);
        }

        _engineOptions.Methods.Add(_options.RequiresCredentials ? AuthenticationMethod.UsernamePassword : AuthenticationMethod.NoAuthenticationRequired);
    }

    /// <summary>The addresses the accept loops listen on, with the real ports (after <see cref="Start"/>).</summary>
    public IReadOnlyList<IPEndPoint> LocalEndPoints => _localEndPoints;

    /// <summary>Counters since the server was created.</summary>
    public Socks5ServerStatistics Statistics => new()
    {
        Accepted = Interlocked.Read(ref _accepted),
        Active = Volatile.Read(ref _active),
        Rejected = Interlocked.Read(ref _rejected),
        Failed = Interlocked.Read(ref _failed),
        UdpAssociations = Volatile.Read(ref _udpAssociations),
    };

    /// <summary>
    /// Each authenticated user's connections and bytes since the server was created, by name: tunnels running now
    /// included. A user appears once they have authenticated and stays (the list is as long as the users who ever did);
    /// anonymous connections are in no entry. A snapshot: it does not change afterwards.
    /// </summary>
    /// <returns>One entry per user name, in ordinal order.</returns>
    public IReadOnlyList<Socks5UserStatistics> GetUserStatistics() => _users.Snapshot();

    internal Socks5ServerOptions Options => _options;

    internal UserTable Users => _users;

    internal DestinationPolicy Policy => _policy;

    /// <summary>What this server's tunnels charge their grown relay buffers to (see <see cref="Socks5ServerOptions.RelayBufferBudget"/>).</summary>
    internal RelayBufferBudget RelayBudget => _relay.Budget;

    /// <summary>How this server's tunnels are relayed: its options' timeouts, pool, budget and clock.</summary>
    internal RelaySettings Relay => _relay;

    /// <summary>The address BIND and UDP ASSOCIATE replies name instead of the local one, if the host set one.</summary>
    internal IPAddress? AdvertisedAddress => _advertised;

    internal Socks5ServerEngineOptions EngineOptions => _engineOptions;

    internal CredentialStore Credentials => _credentials;

    internal CancellationToken Stopping => _stopping.Token;

    /// <summary>
    /// Binds every endpoint of <see cref="Socks5ServerOptions.ListenEndPoints"/> and then of
    /// <see cref="Socks5ServerOptions.Listen"/> (127.0.0.1:1080 when both are empty) and starts accepting.
    /// </summary>
    /// <exception cref="SocketException">An endpoint could not be bound; nothing is left listening.</exception>
    public void Start()
    {
        var endPoints = new List<IPEndPoint>(_options.ListenEndPoints);
        endPoints.AddRange(_listen);
        if (endPoints.Count == 0)
        {
            endPoints.Add(new IPEndPoint(IPAddress.Loopback, 1080));
        }

        try
        {
            foreach (IPEndPoint endPoint in endPoints)
            {
                var listener = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                _listeners.Add(listener);
                if (endPoint.AddressFamily == AddressFamily.InterNetworkV6)
                {
                    // An IPv6 endpoint serves IPv6 only; list 0.0.0.0 (or 127.0.0.1) as well to take IPv4.
                    listener.DualMode = false;
                }

                if (Platform.AcceptedSocketsInheritOptions)
                {
                    // What every accepted socket needs, set once here: the kernel copies it into each connection.
                    listener.NoDelay = true;
                    Platform.SetKeepAlive(listener, _options.TcpKeepAlive);
                }

                listener.Bind(endPoint);
                listener.Listen(512);
                _localEndPoints.Add((IPEndPoint)listener.LocalEndPoint!);
            }
        }
        catch
        {
            foreach (Socket listener in _listeners)
            {
                listener.Dispose();
            }

            _listeners.Clear();
            _localEndPoints.Clear();
            throw;
        }

        var listening = new IPEndPoint[_localEndPoints.Count];
        for (int i = 0; i < listening.Length; i++)
        {
            listening[i] = IPAddresses.Unmap(_localEndPoints[i]);
        }

        _policy.SetListening(listening);
        foreach (Socket listener in _listeners)
        {
            _acceptLoops.Add(Task.Run(() => AcceptLoopAsync(listener)));
        }
    }

    /// <summary>
    /// Stops accepting, lets open connections finish for up to <paramref name="drainTimeout"/>, then cancels the rest and
    /// waits (up to 5 seconds) for them to close. Time is <see cref="Socks5ServerOptions.TimeProvider"/>'s.
    /// </summary>
    /// <param name="drainTimeout">
    /// How long tunnels may go on after the listeners close: <see cref="TimeSpan.Zero"/> closes them at once,
    /// <see cref="Timeout.InfiniteTimeSpan"/> waits for every one to end by itself.
    /// </param>
    /// <param name="cancellationToken">Ends the drain early: the connections still open are closed then. It does not throw.</param>
    /// <returns>A task that completes when every connection has ended (or the 5 seconds after the drain are over).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="drainTimeout"/> is negative and not infinite.</exception>
    public async Task StopAsync(TimeSpan drainTimeout, CancellationToken cancellationToken = default)
    {
        if (drainTimeout < TimeSpan.Zero && drainTimeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(drainTimeout), drainTimeout, "The drain timeout is zero or more, or infinite.");
        }

        foreach (Socket listener in _listeners)
        {
            listener.Dispose();
        }

        await Task.WhenAll(_acceptLoops).ConfigureAwait(false);
        var allEnded = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        // Interlocked on both sides (here and in OnConnectionEnded): either this sees the count at zero or the last
        // connection to end sees the task source.
        Interlocked.Exchange(ref _allEnded, allEnded);
        if (Volatile.Read(ref _active) == 0)
        {
            allEnded.TrySetResult(true);
        }

        await WaitAsync(allEnded.Task, drainTimeout, cancellationToken).ConfigureAwait(false);
        _stopping.Cancel();
        await WaitAsync(allEnded.Task, CloseTimeout, CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>
    /// Stops gracefully, as <see cref="StopAsync"/> with a drain of 5 seconds, then releases what is left, as
    /// <see cref="Dispose"/>.
    /// </summary>
    /// <returns>A task that completes when the server is stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Volatile.Read(ref _disposed) == 0)
        {
            await StopAsync(DefaultDrainTimeout).ConfigureAwait(false);
        }

        Dispose();
    }

    /// <summary>
    /// Serves one connection that the host accepted: the handshake, the command, the relay. Returns when the connection is
    /// over; the caller then closes its transport. Never throws for anything the client or the network does.
    /// </summary>
    /// <param name="connection">The client's connection.</param>
    /// <param name="remoteEndPoint">The client's address (for the UDP relay's source check, the access rule and the log).</param>
    /// <param name="localEndPoint">
    /// The address the client connected to: BIND and the UDP relay listen on its IP, and a destination with its port on
    /// this machine is the server itself (refused unless <see cref="Socks5ServerOptions.AllowSelfConnect"/>).
    /// </param>
    /// <param name="cancellationToken">Ends the connection.</param>
    /// <returns>A task that completes when the connection is over.</returns>
    public Task HandleConnectionAsync(IDuplexPipe connection, EndPoint? remoteEndPoint, EndPoint? localEndPoint, CancellationToken cancellationToken = default)
    {
        if (connection is null)
        {
            throw new ArgumentNullException(nameof(connection));
        }

        return ServeAsync(connection, remoteEndPoint, localEndPoint, owned: null, cancellationToken);
    }

    // Starts serving one connection; owned (the accept loop's socket) is closed when it is over. Not async itself: the
    // connection's own RunAsync is the only frame that stays alive while its tunnel lives.
    private Task ServeAsync(IDuplexPipe connection, EndPoint? remoteEndPoint, EndPoint? localEndPoint, SocketPipe? owned, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _accepted);
        if (Interlocked.Increment(ref _active) > _options.MaxConnections)
        {
            OnConnectionEnded();
            Interlocked.Increment(ref _rejected);
            Socks5Telemetry.CountRejection(Socks5Telemetry.RejectionLimit);
            owned?.Dispose();
            return Task.CompletedTask;
        }

        // The accept loop's connections only end with the server: no linked source (and its registration) needed.
        CancellationTokenSource? linked = cancellationToken.CanBeCanceled
            ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopping.Token)
            : null;
        Socks5ServerConnection served;
        try
        {
            served = new Socks5ServerConnection(this, connection, remoteEndPoint, localEndPoint, owned, linked);
        }
        catch
        {
            // The last guard of the accept loop (RunAsync reports its own failures and never throws).
            Interlocked.Increment(ref _failed);
            linked?.Dispose();
            owned?.Dispose();
            OnConnectionEnded();
            return Task.CompletedTask;
        }

        return served.RunAsync(linked?.Token ?? _stopping.Token);
    }

    /// <summary>Called once by each connection when it is over (it then closes its transport and calls <see cref="OnConnectionEnded"/>).</summary>
    internal void OnConnectionClosed(Socks5ConnectionReport report)
    {
        if (!report.Succeeded)
        {
            Interlocked.Increment(ref _failed);
        }

        try
        {
            _options.ConnectionClosed?.Invoke(report);
        }
        catch
        {
            // A logging hook must not take the server down.
        }
    }

    /// <summary>Counts a connection out; the last one to go ends a drain that is waiting.</summary>
    internal void OnConnectionEnded()
    {
        if (Interlocked.Decrement(ref _active) == 0)
        {
            Volatile.Read(ref _allEnded)?.TrySetResult(true);
        }
    }

    /// <summary>Closes the listeners and ends every connection at once.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        foreach (Socket listener in _listeners)
        {
            listener.Dispose();
        }

        _stopping.Cancel();
    }

    internal bool TryEnterUdpAssociation()
    {
        if (Interlocked.Increment(ref _udpAssociations) > _options.MaxUdpAssociations)
        {
            Interlocked.Decrement(ref _udpAssociations);
            return false;
        }

        return true;
    }

    internal void ExitUdpAssociation() => Interlocked.Decrement(ref _udpAssociations);

    /// <summary>Counts a connection refused for its user's <see cref="Socks5ServerOptions.MaxConnectionsPerUser"/>.</summary>
    internal void CountUserLimitRejection() => Interlocked.Increment(ref _rejected);

    // Listen and Advertise, the options' text forms, as the typed values the server uses.
    private static (IPEndPoint[] Listen, IPAddress? Advertised) ParseTextForms(Socks5ServerOptions options)
    {
        var listen = new IPEndPoint[options.Listen.Count];
        for (int i = 0; i < listen.Length; i++)
        {
            string text = options.Listen[i];
            if (!AddressText.TryParseEndPoint(text, out IPEndPoint? endPoint))
            {
                ThrowInvalidText(nameof(Socks5ServerOptions.Listen), text, "an IP address and a port, such as 127.0.0.1:1080 or [::1]:1080");
            }

            listen[i] = endPoint;
        }

        IPAddress? advertised = options.AdvertisedAddress;
        if (options.Advertise is { } advertise)
        {
            if (advertised is not null)
            {
                throw new ArgumentException(
                    $"Set {nameof(Socks5ServerOptions.Advertise)} (\"{advertise}\") or {nameof(Socks5ServerOptions.AdvertisedAddress)} ({advertised}), not both.",
                    nameof(options));
            }

            if (!AddressText.TryParseAddress(advertise, out advertised))
            {
                ThrowInvalidText(nameof(Socks5ServerOptions.Advertise), advertise, "an IP address, such as 192.0.2.7 or 2001:db8::7");
            }
        }

        return (listen, advertised);
    }

    [DoesNotReturn]
    private static void ThrowInvalidText(string option, string? text, string expected) =>
        throw new ArgumentException($"{option}: \"{text}\" is not {expected}.", "options");

    // Waits for task, for at most timeout on the server's clock or until the token is cancelled; never throws.
    private async Task WaitAsync(Task task, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (task.IsCompleted || timeout == TimeSpan.Zero)
        {
            return;
        }

        if (timeout.TotalMilliseconds >= int.MaxValue)
        {
            timeout = Timeout.InfiniteTimeSpan; // about 25 days or more: beyond what a timer takes, and as good as forever
        }

        using var waited = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task delay = Deadline.DelayAsync(_options.TimeProvider, timeout, waited.Token);
        await Task.WhenAny(task, delay).ConfigureAwait(false);
        waited.Cancel(); // the delay's timer is not needed any more
    }

    private async Task AcceptLoopAsync(Socket listener)
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptAsync().ConfigureAwait(false);
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException) when (!listener.IsBound || _stopping.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException ex) when (ex.SocketErrorCode is not (SocketError.TooManyOpenSockets or SocketError.NoBufferSpaceAvailable))
            {
                // ECONNABORTED and the like: that connection is gone, the listener is fine.
                continue;
            }
            catch (Exception)
            {
                // Out of descriptors or buffers (EMFILE, ENOBUFS), or anything unforeseen: accepting again at once could
                // fail the same way in a busy loop. Nothing escapes the loop; the connections that are ending get a moment.
                await Task.Delay(50).ConfigureAwait(false);
                continue;
            }

            ServeSocket(socket);
        }
    }

    private void ServeSocket(Socket socket)
    {
        try
        {
            if (!Platform.AcceptedSocketsInheritOptions)
            {
                socket.NoDelay = true;
                Platform.SetKeepAlive(socket, _options.TcpKeepAlive);
            }

            // The pipe carries the handshake (a CONNECT or BIND tunnel is relayed socket to socket, without it), so a small
            // buffer does, and the handshake's messages are read straight into it, without a zero-byte wait first. The
            // one connection that reads it while idle, a UDP association's or a waiting BIND's, holds those 4 KiB.
            var pipe = new SocketPipe(socket, bufferSize: 4096, waitWithoutBuffer: false);
            _ = ServeAsync(pipe, pipe.RemoteEndPoint, pipe.LocalEndPoint, owned: pipe, CancellationToken.None);
        }
        catch
        {
            // ServeAsync does not throw; this guards the socket setup.
            socket.Dispose();
        }
    }
}
