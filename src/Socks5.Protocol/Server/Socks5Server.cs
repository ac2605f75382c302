using System.Collections.Generic;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Net;
using System.Threading.Tasks;
using System.Threading;
using System;
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
/// </remarks>
public sealed class Socks5Server : IDisposable
{
    private readonly Socks5ServerOptions _options;
    private readonly Socks5ServerEngineOptions _engineOptions;
    private readonly CredentialStore _credentials;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Socket> _listeners = new();
    private readonly List<IPEndPoint> _localEndPoints = new();
    private readonly List<Task> _acceptLoops = new();
    private IPEndPoint[] _listening = Array.Empty<IPEndPoint>(); // LocalEndPoints unmapped, for every destination check
    private int _active;
    private int _udpAssociations;
    private long _accepted;
    private long _rejected;
    private long _failed;
    private int _disposed;

    /// <summary>Creates a server. Nothing listens until <see cref="Start"/>.</summary>
    /// <param name="options">The settings; read when the server is created and when connections arrive.</param>
    public Socks5Server(Socks5ServerOptions? options = null)
    {
        _options = options ?? new Socks5ServerOptions();
        _credentials = new CredentialStore(_options.Users);
        _engineOptions = new Socks5ServerEngineOptions { AuthenticatorFactory = _options.AuthenticatorFactory };
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
    public Socks5ServerStatistics Statistics => new(Interlocked.Read(ref _accepted), Volatile.Read(ref _active), Interlocked.Read(ref _rejected), Interlocked.Read(ref _failed), Volatile.Read(ref _udpAssociations));

    internal Socks5ServerOptions Options => _options;

    internal Socks5ServerEngineOptions EngineOptions => _engineOptions;

    internal CredentialStore Credentials => _credentials;

    internal CancellationToken Stopping => _stopping.Token;

    /// <summary>Binds every listen endpoint (127.0.0.1:1080 when none is set) and starts accepting.</summary>
    /// <exception cref="SocketException">An endpoint could not be bound; nothing is left listening.</exception>
    public void Start()
    {
        IList<IPEndPoint> endPoints = _options.ListenEndPoints.Count > 0
            ? _options.ListenEndPoints
            : new[] { new IPEndPoint(IPAddress.Loopback, 1080) };
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

        Volatile.Write(ref _listening, listening);
        foreach (Socket listener in _listeners)
        {
            _acceptLoops.Add(Task.Run(() => AcceptLoopAsync(listener)));
        }
    }

    /// <summary>
    /// Stops accepting, lets open connections finish for up to <paramref name="drainTimeout"/>, then cancels the rest and
    /// waits for them to close.
    /// </summary>
    /// <param name="drainTimeout">How long tunnels may go on after the listeners close.</param>
    /// <returns>A task that completes when every connection has ended.</returns>
    public async Task StopAsync(TimeSpan drainTimeout)
    {
        foreach (Socket listener in _listeners)
        {
            listener.Dispose();
        }

        await Task.WhenAll(_acceptLoops).ConfigureAwait(false);
        DateTime drainUntil = DateTime.UtcNow + drainTimeout;
        while (Volatile.Read(ref _active) > 0 && DateTime.UtcNow < drainUntil)
        {
            await Task.Delay(20).ConfigureAwait(false);
        }

        _stopping.Cancel();
        DateTime closeUntil = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (Volatile.Read(ref _active) > 0 && DateTime.UtcNow < closeUntil)
        {
            await Task.Delay(20).ConfigureAwait(false);
        }
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
            Interlocked.Decrement(ref _active);
            Interlocked.Increment(ref _rejected);
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

    internal void OnConnectionEnded() => Interlocked.Decrement(ref _active);

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

    /// <summary>
    /// Whether <paramref name="destination"/> (not IPv4-mapped) reaches one of this server's listeners: a port the accept
    /// loops listen on, or the port of <paramref name="local"/> (where a host-accepted connection came in), on an address
    /// of this machine. A listener on 0.0.0.0 or :: takes every address of the machine, and loopback reaches one on any
    /// of them, so every local address with that port counts, not only the listener's own.
    /// </summary>
    internal bool IsOwnEndPoint(IPEndPoint destination, EndPoint? local)
    {
        int port = destination.Port;
        var came = local as IPEndPoint;
        bool listened = came?.Port == port;
        IPEndPoint[] listening = Volatile.Read(ref _listening);
        foreach (IPEndPoint endPoint in listening)
        {
            listened |= endPoint.Port == port;
        }

        if (!listened)
        {
            return false; // the common case, decided without a look at the address
        }

        IPAddress address = destination.Address;
        if (came is not null && came.Port == port && IPAddresses.Unmap(came).Address.Equals(address))
        {
            return true;
        }

        foreach (IPEndPoint endPoint in listening)
        {
            if (endPoint.Port == port && endPoint.Address.Equals(address))
            {
                return true;
            }
        }

        return MachineAddresses.Contains(address);
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
            socket.NoDelay = true;
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

/// <summary>Counters of a <see cref="Socks5Server"/>.</summary>
/// <param name="Accepted">Connections accepted (or handed to <see cref="Socks5Server.HandleConnectionAsync"/>).</param>
/// <param name="Active">Connections open now.</param>
/// <param name="Rejected">Connections closed at once because <see cref="Socks5ServerOptions.MaxConnections"/> were open.</param>
/// <param name="Failed">Connections that ended without a successful request (handshake failures, refusals, errors).</param>
/// <param name="UdpAssociations">UDP associations open now.</param>
public readonly record struct Socks5ServerStatistics(long Accepted, int Active, long Rejected, long Failed, int UdpAssociations);
