using System;
using System.IO;
using System.IO.Pipelines;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using Socks5.Protocol.Diagnostics;
using Socks5.Protocol.Pipelines;
using Socks5.Protocol.Transport;

namespace Socks5.Protocol.Client;

/// <summary>
/// An established SOCKS5 connection (CONNECT, or BIND after its second reply): the byte stream to the destination, as an
/// <see cref="IDuplexPipe"/> and as a <see cref="System.IO.Stream"/>. The first bytes read are the ones the proxy sent
/// right after its reply, even when they arrived in the same segment.
/// </summary>
/// <remarks>
/// Use either the pipe or <see cref="Stream"/>. A tunnel straight over a socket hands the socket to its stream when
/// <see cref="Stream"/> is first taken (bytes already read past the reply included); <see cref="Input"/> and
/// <see cref="Output"/> throw <see cref="InvalidOperationException"/> from then on. Disposing the tunnel (or its stream)
/// closes the connection to the proxy, and every proxy connection below it in a chain; <see cref="DisposeAsync"/> (as in
/// <c>await using</c>) first sends what was written and not yet flushed, and a FIN.
/// </remarks>
public sealed class Socks5Tunnel : IDuplexPipe, IDisposable, IAsyncDisposable
{
    private readonly IDuplexPipe _transport;
    private readonly object? _owner; // disposed with the tunnel when it is IDisposable or IAsyncDisposable
    private Stream? _stream;
    private SocketPipe? _detached = null; // set when Stream takes the socket over (net10.0)
    private int _disposed;
    private readonly bool _counted; // added to socks5.client.active_tunnels: taken off when disposed

    internal Socks5Tunnel(IDuplexPipe transport, object? owner, EndPoint destination, EndPoint boundAddress)
    {
        _transport = transport;
        _owner = owner;
        Destination = destination;
        BoundAddress = boundAddress;
        if (Socks5Telemetry.ActiveTunnels.Enabled)
        {
            Socks5Telemetry.ActiveTunnels.Add(1);
            _counted = true;
        }
    }

    /// <summary>
    /// The destination the client asked for, as the caller gave it: an <see cref="IPEndPoint"/>, or a
    /// <see cref="DnsEndPoint"/> for a name (sent to the proxy unresolved unless
    /// <see cref="Socks5ClientOptions.ResolveNamesLocally"/>). For BIND, the expected peer (0.0.0.0:0 when none was named).
    /// A failure carries the same value in <see cref="Socks5Exception.Destination"/>.
    /// </summary>
    public EndPoint Destination { get; }

    /// <summary>
    /// BND.ADDR and BND.PORT of the final reply: for CONNECT the proxy's outgoing address (many proxies send 0.0.0.0:0), for
    /// BIND the address of the peer that connected. A domain name comes back as a <see cref="DnsEndPoint"/>.
    /// </summary>
    public EndPoint BoundAddress { get; }

    /// <summary>Bytes from the destination.</summary>
    public PipeReader Input => _transport.Input;

    /// <summary>Bytes to the destination. Completing it half-closes the tunnel (see <see cref="ShutdownWrite"/>).</summary>
    public PipeWriter Output => _transport.Output;

    /// <summary>
    /// The tunnel as a stream (the same instance each time): reads return 0 once the destination has finished sending,
    /// writes are flushed at once, and disposing it disposes the tunnel. For HttpClient, SslStream and other stream APIs.
    /// </summary>
    public Stream Stream => _stream ??= CreateStream();

    /// <summary>
    /// Says that nothing more will be sent: flushes and completes <see cref="Output"/>, which sends a FIN to the proxy (and
    /// the proxy passes it on to the destination) while reading goes on.
    /// </summary>
    public void ShutdownWrite()
    {
        if (_detached is { } socketPipe)
        {
            try
            {
                socketPipe.Socket.Shutdown(System.Net.Sockets.SocketShutdown.Send);
            }
            catch (Exception ex) when (ex is System.Net.Sockets.SocketException or ObjectDisposedException)
            {
                // Already closed or reset: nothing more could be sent anyway.
            }
        }
        else
        {
            _transport.Output.Complete();
        }
    }

    private Stream CreateStream()
    {
#if NET
        if (_transport is SocketPipe socketPipe && socketPipe.CanDetach)
        {
            // Straight over a socket (no chain below): read and write the socket itself, as NetworkStream does.
            byte[]? buffered = socketPipe.Detach(out _);
            _detached = socketPipe;
            return new SocketTunnelStream(socketPipe.Socket, buffered, this);
        }
#endif
        return new DuplexPipeStream(_transport, this);
    }

    /// <summary>Closes the connection to the proxy at once, and everything below it in a chain.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        CountOut();
        if (_owner is IDisposable owner)
        {
            owner.Dispose();
        }
        else if (_detached is not null)
        {
            _detached.Dispose();
        }
        else
        {
            // Nothing to dispose synchronously (a caller's pipe that is not disposable, or only asynchronously).
            _transport.Input.Complete();
            _transport.Output.Complete();
        }
    }

    /// <summary>
    /// Ends the tunnel gracefully, then closes it: flushes what was written to <see cref="Output"/> and not yet flushed,
    /// completes it (a FIN to the destination, as <see cref="ShutdownWrite"/>), and closes the connection to the proxy and
    /// everything below it in a chain, each through its own <c>DisposeAsync</c> where it has one (a transport given to
    /// <see cref="Socks5Client.ConnectOverAsync"/> included). A peer that is gone is not an error.
    /// </summary>
    /// <returns>A task that completes when the tunnel is closed.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        CountOut();
        if (_detached is not null)
        {
            // The stream wrote straight to the socket: nothing is waiting to be flushed.
            _detached.Dispose();
            return;
        }

        try
        {
            await _transport.Output.CompleteAsync().ConfigureAwait(false);
            _transport.Input.Complete();
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or ObjectDisposedException or InvalidOperationException)
        {
            // The connection is already broken or closed: nothing can be delivered, and closing is all that is left.
        }

        await DisposeOwnerAsync(_owner).ConfigureAwait(false);
    }

    private void CountOut()
    {
        if (_counted)
        {
            Socks5Telemetry.ActiveTunnels.Add(-1);
        }
    }

    /// <summary>
    /// Disposes what a client object owns (a socket pipe, a tunnel through the next proxy of a chain, a caller's
    /// transport), asynchronously where it can, so a chain ends gracefully all the way down.
    /// </summary>
    internal static ValueTask DisposeOwnerAsync(object? owner)
    {
        switch (owner)
        {
            case IAsyncDisposable asynchronous:
                return asynchronous.DisposeAsync();
            case IDisposable disposable:
                disposable.Dispose();
                return default;
            default:
                return default;
        }
    }
}
