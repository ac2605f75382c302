using System;
using System.IO.Pipelines;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using Socks5.Protocol.Pipelines;
using Socks5.Protocol.Transport;

namespace Socks5.Protocol.Client;

/// <summary>
/// A BIND whose first reply has arrived: the proxy listens on <see cref="ListenAddress"/>. Tell the peer that address,
/// then await <see cref="AcceptAsync"/>, which returns when the proxy's second reply says who connected.
/// </summary>
public sealed class Socks5PendingBind : IDisposable, IAsyncDisposable
{
    private readonly Socks5Client _client;
    private readonly Socks5ClientHandshake _handshake;
    private readonly IDuplexPipe _transport;
    private readonly IDisposable _owner;
    private readonly EndPoint? _proxy;
    private int _state; // 0 pending, 1 accepting, 2 disposed, 3 accepted

    internal Socks5PendingBind(Socks5Client client, Socks5ClientHandshake handshake, IDuplexPipe transport, IDisposable owner, EndPoint? proxy, EndPoint expectedPeer, EndPoint listenAddress)
    {
        _client = client;
        _handshake = handshake;
        _transport = transport;
        _owner = owner;
        _proxy = proxy;
        ExpectedPeer = expectedPeer;
        ListenAddress = listenAddress;
    }

    /// <summary>
    /// BND.ADDR and BND.PORT of the first reply: where the peer must connect. When the proxy answered with 0.0.0.0 or ::
    /// (all its addresses), this holds the address the client reached the proxy on instead (its name, when it was reached
    /// by name through a chain).
    /// </summary>
    public EndPoint ListenAddress { get; }

    /// <summary>DST of the BIND request (0.0.0.0:0 when no peer was named).</summary>
    public EndPoint ExpectedPeer { get; }

    /// <summary>Waits for the second reply: a peer connected to <see cref="ListenAddress"/>. Call it once.</summary>
    /// <param name="cancellationToken">Bounds the wait (there is no timeout otherwise); cancelling closes the connection.</param>
    /// <returns>The tunnel to the peer; its <see cref="Socks5Tunnel.BoundAddress"/> is the peer's address.</returns>
    /// <exception cref="Socks5Exception">The proxy sent a failure reply or closed the connection.</exception>
    /// <exception cref="InvalidOperationException">Called twice, or after the BIND was disposed.</exception>
    /// <exception cref="ObjectDisposedException">The BIND was disposed during the wait.</exception>
    public async Task<Socks5Tunnel> AcceptAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.CompareExchange(ref _state, 1, 0) != 0)
        {
            throw new InvalidOperationException("AcceptAsync was called already, or the BIND was disposed.");
        }

        try
        {
            await _client.StepAsync(_handshake, _transport, _proxy, ExpectedPeer, Timeout.InfiniteTimeSpan, cancellationToken).ConfigureAwait(false);
            EndPoint peer = EndPoints.ReplaceUnspecified(_handshake.Engine.BoundAddress.ToEndPoint(), null);
            if (Interlocked.CompareExchange(ref _state, 3, 1) != 1)
            {
                throw new ObjectDisposedException(nameof(Socks5PendingBind));
            }

            return new Socks5Tunnel(_transport, _owner, ExpectedPeer, peer);
        }
        catch (Exception ex) when (ex is not ObjectDisposedException && Volatile.Read(ref _state) == 2)
        {
            // Dispose closed the connection under the wait: say so, whatever the transport threw.
            throw new ObjectDisposedException(nameof(Socks5PendingBind));
        }
        catch
        {
            _owner.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Closes the connection to the proxy unless <see cref="AcceptAsync"/> has returned a tunnel (which owns it then); a
    /// pending <see cref="AcceptAsync"/> fails.
    /// </summary>
    public void Dispose()
    {
        if (MarkDisposed())
        {
            _owner.Dispose();
        }
    }

    /// <summary>
    /// As <see cref="Dispose"/>, for <c>await using</c>: nothing is waiting to be sent while a BIND is pending, so this only
    /// closes the connection to the proxy (through a chain, with the chain's own <see cref="Socks5Tunnel.DisposeAsync"/>).
    /// </summary>
    /// <returns>A task that completes when the connection is closed.</returns>
    public ValueTask DisposeAsync() => MarkDisposed() ? Socks5Tunnel.DisposeOwnerAsync(_owner) : default;

    // Pending or accepting becomes disposed; an accepted BIND belongs to its tunnel, and disposing twice does nothing.
    private bool MarkDisposed()
    {
        int state = Volatile.Read(ref _state);
        while (state is 0 or 1)
        {
            int seen = Interlocked.CompareExchange(ref _state, 2, state);
            if (seen == state)
            {
                return true;
            }

            state = seen;
        }

        return false;
    }
}
