using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Net;
using System.Threading.Tasks;
using System.Threading;
using System;
using Socks5.Protocol.Engine;
using Socks5.Protocol.Internal;
using Socks5.Protocol.Wire;

namespace Socks5.Protocol.Client;

/// <summary>
/// A SOCKS5 UDP association (RFC 1928 §7): a UDP socket that talks to the proxy's relay, and the TCP control connection
/// that keeps the association alive. Payloads go out with the SOCKS UDP header added and come back with it stripped.
/// </summary>
/// <remarks>
/// Datagrams that do not come from the relay's address, are malformed, or are fragments (FRAG ≠ 0) are dropped. The
/// association ends when the proxy closes the control connection (<see cref="Completion"/> finishes, the UDP socket is
/// closed and a waiting <see cref="ReceiveFromAsync"/> throws) or when it is disposed (which closes both). One
/// <see cref="ReceiveFromAsync"/> at a time; sends may overlap.
/// </remarks>
public sealed class Socks5UdpAssociation : IDisposable, IAsyncDisposable
{
    // The largest datagram a socket receives; and the largest UDP payload IPv4 (65,535 less the IP and UDP headers) and
    // IPv6 (less the UDP header, without jumbograms) can send, header and data together.
    private const int MaxDatagram = 65_535;
    private const int MaxIPv4Payload = 65_507;
    private const int MaxIPv6Payload = 65_527;

    private readonly IDuplexPipe _control;
    private readonly IDisposable _owner;
    private readonly Socket _udp;
    private readonly byte[] _receiveBuffer = new byte[MaxDatagram];
    private readonly int _maxSend;
    private Task<SocketReceiveFromResult>? _pendingReceive;
    private int _disposed;
    private volatile bool _ended; // set before the control watcher closes the socket, so that close reads as the end

    internal Socks5UdpAssociation(IDuplexPipe control, IDisposable owner, Socket udp, IPEndPoint relay)
    {
        _control = control;
        _owner = owner;
        _udp = udp;
        RelayEndPoint = relay;
        _maxSend = relay.AddressFamily == AddressFamily.InterNetworkV6 ? MaxIPv6Payload : MaxIPv4Payload;
        LocalEndPoint = IPAddresses.Unmap((IPEndPoint)udp.LocalEndPoint!);
        Completion = WatchControlAsync();
    }

    /// <summary>The relay's UDP address (BND of the reply; when the proxy sent 0.0.0.0 or ::, the proxy's own address).</summary>
    public IPEndPoint RelayEndPoint { get; }

    /// <summary>The local UDP socket's address: what the request told the proxy.</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>Finishes when the association ends: the proxy closed the control connection, or this was disposed.</summary>
    public Task Completion { get; }

    /// <summary>Sends <paramref name="payload"/> to <paramref name="destination"/> through the relay.</summary>
    /// <param name="payload">The data; with the header it must fit one datagram.</param>
    /// <param name="destination">An <see cref="IPEndPoint"/>, or a <see cref="DnsEndPoint"/> the relay resolves.</param>
    /// <param name="cancellationToken">Checked before sending (UDP sends do not wait).</param>
    /// <returns>The payload bytes sent.</returns>
    /// <exception cref="ArgumentException">The payload and header do not fit a datagram, or the destination is not an IP or DNS endpoint.</exception>
    /// <exception cref="Socks5Exception">The association has ended, or the datagram could not be sent to the relay.</exception>
    public async ValueTask<int> SendToAsync(ReadOnlyMemory<byte> payload, EndPoint destination, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfEnded();
        byte[] datagram = ArrayPool<byte>.Shared.Rent(Socks5UdpHeader.MaxLength + payload.Length);
        try
        {
            int length = WriteDatagram(payload.Span, destination, datagram, _maxSend);
            await _udp.SendToAsync(new ArraySegment<byte>(datagram, 0, length), SocketFlags.None, RelayEndPoint).ConfigureAwait(false);
            return payload.Length;
        }
        catch (Exception ex) when (ex is ObjectDisposedException or SocketException)
        {
            throw SocketFailed(ex, "send to");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(datagram);
        }
    }

    /// <summary>Waits for the next datagram from the relay and copies its payload into <paramref name="buffer"/>.</summary>
    /// <param name="buffer">Where the payload goes; a longer payload is cut to fit.</param>
    /// <param name="cancellationToken">Stops waiting; a datagram arriving afterwards is kept for the next call.</param>
    /// <returns>The payload length and the source the relay reported.</returns>
    /// <exception cref="Socks5Exception">The association has ended, or receiving from the relay failed.</exception>
    public async ValueTask<Socks5UdpReceiveResult> ReceiveFromAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            ThrowIfEnded();
            Task<SocketReceiveFromResult> pending = _pendingReceive ??= _udp.ReceiveFromAsync(new ArraySegment<byte>(_receiveBuffer), SocketFlags.None, EndPoints.Any(_udp.AddressFamily));
            if (!pending.IsCompleted)
            {
                // The receive itself cannot be cancelled on every target; it stays pending for the next call instead.
                var cancelled = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                using (cancellationToken.Register(static s => ((TaskCompletionSource<bool>)s!).TrySetResult(true), cancelled))
                {
                    await Task.WhenAny(pending, cancelled.Task).ConfigureAwait(false);
                }

                if (!pending.IsCompleted)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                }
            }

            _pendingReceive = null;
            SocketReceiveFromResult received;
            try
            {
                received = await pending.ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is ObjectDisposedException or SocketException)
            {
                throw SocketFailed(ex, "receive from");
            }

            if (received.RemoteEndPoint is IPEndPoint source && IPAddresses.Unmap(source).Equals(RelayEndPoint)
                && TryUnwrap(_receiveBuffer.AsSpan(0, received.ReceivedBytes), buffer.Span, out int length, out EndPoint? from))
            {
                return new Socks5UdpReceiveResult(length, from!);
            }
        }
    }

    /// <summary>Closes the UDP socket and the control connection.</summary>
    public void Dispose()
    {
        if (MarkDisposed())
        {
            _owner.Dispose();
        }
    }

    /// <summary>
    /// Closes the UDP socket and the control connection (through a chain, with the chain's own
    /// <see cref="Socks5Tunnel.DisposeAsync"/>), and returns once the association has ended: <see cref="Completion"/>
    /// has finished and nothing of it is still running. Datagrams are sent at once, so nothing is left to flush.
    /// </summary>
    /// <returns>A task that completes when the association has ended.</returns>
    public async ValueTask DisposeAsync()
    {
        if (MarkDisposed())
        {
            await Socks5Tunnel.DisposeOwnerAsync(_owner).ConfigureAwait(false);
        }

        await Completion.ConfigureAwait(false);
    }

    // Stops the association's own parts; the caller closes the control connection.
    private bool MarkDisposed()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return false;
        }

        _control.Input.CancelPendingRead();
        _udp.Dispose();
        return true;
    }

    private static int WriteDatagram(ReadOnlySpan<byte> payload, EndPoint destination, byte[] datagram, int maxLength)
    {
        Span<byte> address = stackalloc byte[Socks5EndPoint.MaxAddressLength];
        Socks5EndPoint to = Socks5EndPoint.FromEndPoint(destination, address);
        Socks5UdpHeader.TryWrite(0, to, datagram, out int headerLength);
        if (headerLength + payload.Length > maxLength)
        {
            throw new ArgumentException($"The payload of {payload.Length} bytes and its header do not fit one datagram.", nameof(payload));
        }

        payload.CopyTo(datagram.AsSpan(headerLength));
        return headerLength + payload.Length;
    }

    private static bool TryUnwrap(ReadOnlySpan<byte> datagram, Span<byte> destination, out int length, out EndPoint? source)
    {
        length = 0;
        source = null;
        if (Socks5UdpHeader.TryParse(datagram, out Socks5UdpHeader header, out int headerLength, out _) != OperationStatus.Done || header.Fragment != 0)
        {
            return false;
        }

        ReadOnlySpan<byte> data = datagram.Slice(headerLength);
        length = Math.Min(data.Length, destination.Length);
        data.Slice(0, length).CopyTo(destination);
        source = header.Address.ToEndPoint();
        return true;
    }

    // Nothing is expected on the control connection: it is read only to learn when the proxy closes it.
    private async Task WatchControlAsync()
    {
        PipeReader reader = _control.Input;
        try
        {
            while (true)
            {
                ReadResult result = await reader.ReadAsync().ConfigureAwait(false);
                reader.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted || result.IsCanceled)
                {
                    break;
                }
            }
        }
        catch (Exception ex) when (ex is System.IO.IOException or SocketException or ObjectDisposedException or InvalidOperationException or OperationCanceledException)
        {
            // A reset or our own dispose: either way the association is over.
        }
        finally
        {
            _ended = true;
            _udp.Dispose();
        }
    }

    private void ThrowIfEnded()
    {
        if (_disposed != 0)
        {
            throw new ObjectDisposedException(nameof(Socks5UdpAssociation));
        }

        if (_ended)
        {
            throw Ended(null);
        }
    }

    private Exception Ended(Exception? inner) =>
        _disposed != 0
            ? new ObjectDisposedException(nameof(Socks5UdpAssociation))
            : new Socks5Exception("The UDP association has ended: the proxy closed its control connection.", HandshakeFailure.None, null, null, null, inner);

    // Before the association ends, a socket error means the relay's address cannot be reached (no route, an ICMP error).
    private Exception SocketFailed(Exception ex, string doing) =>
        _disposed != 0 || _ended || ex is ObjectDisposedException
            ? Ended(ex)
            : new Socks5Exception($"Could not {doing} the UDP relay {EndPoints.Format(RelayEndPoint)}: {ex.Message}", HandshakeFailure.None, null, null, null, ex);
}
