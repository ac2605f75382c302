using System.Buffers;
using System.Collections.Generic;
using System.Net.Sockets;
using System.Net;
using System.Threading.Tasks;
using System.Threading;
using System;
using Socks5.Protocol.Diagnostics;
using Socks5.Protocol.Internal;
using Socks5.Protocol.Wire;

namespace Socks5.Protocol.Server;

/// <summary>
/// The UDP relay of one association (RFC 1928 §7). Datagrams from the client carry a SOCKS UDP header; the relay strips it
/// and sends the payload on. Datagrams back from a destination the client has sent to get a header naming their source and
/// go to the client. Anything else is dropped: datagrams from other sources, fragments (FRAG other than 0), malformed
/// headers, and destinations the server's check refuses (see <see cref="DestinationPolicy.IsAllowedAsync"/>).
/// Only datagrams from the client, and replies delivered to it, keep the association from going idle.
/// </summary>
internal sealed class UdpRelay : IDisposable
{
    private const int MaxDatagram = 65535;
    private const int MaxDestinations = 1024;
    private const int FragmentOffset = -2; // ParseHeader's payload offset for a fragment (-1: malformed)

    private readonly Socks5ServerConnection _connection;
    private readonly DestinationPolicy _policy;
    private readonly TimeProvider _clock;
    private readonly TimeSpan _idleTimeout;
    private readonly Socket _clientSocket;
    private readonly HashSet<IPEndPoint> _destinations = new();
    private readonly object _gate = new();
    private Socket? _otherFamilySocket;
    private Task _otherFamilyLoop = Task.CompletedTask; // its receive loop, once there is one
    private IPEndPoint _client; // an unspecified address or a zero port: not known yet, learned from the first datagram
    private long _lastActivity; // a timestamp of the server's clock: monotonic, not the wall clock
    private long _fromClient;
    private long _toClient;

    /// <param name="connection">The association's TCP connection: whose destinations are checked.</param>
    /// <param name="localAddress">The address to receive the client's datagrams on.</param>
    /// <param name="client">Where the client's datagrams must come from; an unspecified address or port 0 is learned.</param>
    public UdpRelay(Socks5ServerConnection connection, IPAddress localAddress, IPEndPoint client)
    {
        _connection = connection;
        _policy = connection.Server.Policy;
        _clock = connection.Server.Options.TimeProvider;
        _idleTimeout = connection.Server.Options.UdpIdleTimeout;
        _lastActivity = _clock.GetTimestamp();
        _client = client;
        _clientSocket = new Socket(localAddress.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        _clientSocket.Bind(new IPEndPoint(localAddress, 0));
        LocalEndPoint = (IPEndPoint)_clientSocket.LocalEndPoint!;
    }

    public IPEndPoint LocalEndPoint { get; }

    public long BytesFromClient => Interlocked.Read(ref _fromClient);

    public long BytesToClient => Interlocked.Read(ref _toClient);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using (stop.Token.Register(Dispose))
        {
            Task receiving = ReceiveLoopAsync(_clientSocket, stop.Token);
            Task idle = IdleWatchAsync(stop.Token);
            await Task.WhenAny(receiving, idle).ConfigureAwait(false);
            stop.Cancel();

            // Both receive loops end (their sockets are closed) before the byte counts are read: a datagram passed on
            // just before the end is counted, never lost from the report to a race.
            Task otherFamily;
            lock (_gate)
            {
                otherFamily = _otherFamilyLoop;
            }

            await Socks5ServerConnection.IgnoreAsync(receiving).ConfigureAwait(false);
            await Socks5ServerConnection.IgnoreAsync(otherFamily).ConfigureAwait(false);
        }
    }

    public void Dispose()
    {
        _clientSocket.Dispose();
        lock (_gate)
        {
            _otherFamilySocket?.Dispose();
        }
    }

    private async Task ReceiveLoopAsync(Socket socket, CancellationToken cancellationToken)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(MaxDatagram + Socks5UdpHeader.MaxLength);
        try
        {
            EndPoint any = socket.AddressFamily == AddressFamily.InterNetwork ? new IPEndPoint(IPAddress.Any, 0) : new IPEndPoint(IPAddress.IPv6Any, 0);
            // Room in front of the payload, so a datagram for the client gets its header without a copy of the payload.
            int headroom = Socks5UdpHeader.MaxLength;
            while (!cancellationToken.IsCancellationRequested)
            {
                SocketReceiveFromResult received;
                try
                {
                    received = await socket.ReceiveFromAsync(new ArraySegment<byte>(buffer, headroom, MaxDatagram), SocketFlags.None, any).ConfigureAwait(false);
                }
                catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionRefused or SocketError.MessageSize)
                {
                    continue; // an ICMP error from an earlier send, or an oversized datagram: not fatal
                }

                var source = IPAddresses.Unmap((IPEndPoint)received.RemoteEndPoint);
                if (IsClient(source))
                {
                    Touch();
                    try
                    {
                        await FromClientAsync(buffer.AsMemory(headroom, received.ReceivedBytes), cancellationToken).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (ex is not (OperationCanceledException or ObjectDisposedException))
                    {
                        // A hook (resolver, access rule) failed for this datagram: it is dropped, the association goes on.
                        Socks5Telemetry.CountDatagram(fromClient: true, Socks5Telemetry.DroppedError);
                    }
                }
                else if (!IsKnownDestination(source))
                {
                    Socks5Telemetry.CountDatagram(fromClient: false, Socks5Telemetry.DroppedSource);
                }
                else if (await ToClientAsync(buffer, headroom, received.ReceivedBytes, source).ConfigureAwait(false))
                {
                    Touch();
                }
            }
        }
        catch (ObjectDisposedException)
        {
            // The association ended.
        }
        catch (SocketException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private bool IsClient(IPEndPoint source)
    {
        lock (_gate)
        {
            bool anyAddress = IPAddresses.IsUnspecified(_client.Address);
            if ((!anyAddress && !source.Address.Equals(_client.Address)) || (_client.Port != 0 && _client.Port != source.Port))
            {
                return false;
            }

            if (anyAddress || _client.Port == 0)
            {
                // The request left the address or the port open: the first datagram that fits tells it.
                _client = source;
            }

            return true;
        }
    }

    private void Touch() => Interlocked.Exchange(ref _lastActivity, _clock.GetTimestamp());

    private bool IsKnownDestination(IPEndPoint source)
    {
        lock (_gate)
        {
            return _destinations.Contains(source);
        }
    }

    private async Task FromClientAsync(ReadOnlyMemory<byte> datagram, CancellationToken cancellationToken)
    {
        (IPEndPoint? destination, string host, int port, int payloadOffset) = ParseHeader(datagram.Span);
        if (payloadOffset < 0)
        {
            // Malformed, truncated, or a fragment: dropped.
            Socks5Telemetry.CountDatagram(fromClient: true, payloadOffset == FragmentOffset ? Socks5Telemetry.DroppedFragment : Socks5Telemetry.DroppedMalformed);
            return;
        }

        if (destination is null)
        {
            destination = await ResolveAsync(host, port, cancellationToken).ConfigureAwait(false);
            if (destination is null)
            {
                Socks5Telemetry.CountDatagram(fromClient: true, Socks5Telemetry.DroppedResolve);
                return;
            }
        }

        if (!await _policy.IsAllowedAsync(_connection, Command.UdpAssociate, host, destination, cancellationToken).ConfigureAwait(false))
        {
            Socks5Telemetry.CountDatagram(fromClient: true, Socks5Telemetry.DroppedRule);
            return;
        }

        lock (_gate)
        {
            if (_destinations.Count < MaxDestinations)
            {
                _destinations.Add(destination);
            }
        }

        Socket socket = SocketFor(destination.AddressFamily, cancellationToken);
        ReadOnlyMemory<byte> payload = datagram.Slice(payloadOffset);
        if (await SendAsync(socket, payload, destination).ConfigureAwait(false))
        {
            Interlocked.Add(ref _fromClient, payload.Length);
            Socks5Telemetry.CountDatagram(fromClient: true, dropped: null);
        }
        else
        {
            Socks5Telemetry.CountDatagram(fromClient: true, Socks5Telemetry.DroppedSend);
        }
    }

    // True when the datagram went out to the client.
    private async Task<bool> ToClientAsync(byte[] buffer, int payloadStart, int payloadLength, IPEndPoint source)
    {
        IPEndPoint client;
        lock (_gate)
        {
            client = _client;
        }

        if (client.Port == 0 || IPAddresses.IsUnspecified(client.Address))
        {
            // The client has not sent anything yet: there is nowhere to deliver. (Unreachable in practice: a destination
            // is only known once the client has sent to it.)
            Socks5Telemetry.CountDatagram(fromClient: false, Socks5Telemetry.DroppedSource);
            return false;
        }

        int headerLength = WriteHeader(buffer, payloadStart, source);
        if (!await SendAsync(_clientSocket, buffer.AsMemory(payloadStart - headerLength, headerLength + payloadLength), client).ConfigureAwait(false))
        {
            Socks5Telemetry.CountDatagram(fromClient: false, Socks5Telemetry.DroppedSend);
            return false;
        }

        Interlocked.Add(ref _toClient, payloadLength);
        Socks5Telemetry.CountDatagram(fromClient: false, dropped: null);
        return true;
    }

    // Writes the header for a datagram from 'source' just before the payload; returns its length.
    private static int WriteHeader(byte[] buffer, int payloadStart, IPEndPoint source)
    {
        Span<byte> address = stackalloc byte[16];
        var endPoint = Socks5EndPoint.FromIPEndPoint(source, address);
        int length = Socks5UdpHeader.GetLength(endPoint);
        Socks5UdpHeader.TryWrite(0, endPoint, buffer.AsSpan(payloadStart - length, length), out _);
        return length;
    }

    private static (IPEndPoint? Destination, string Host, int Port, int PayloadOffset) ParseHeader(ReadOnlySpan<byte> datagram)
    {
        if (Socks5UdpHeader.TryParse(datagram, out Socks5UdpHeader header, out int offset, out _) != System.Buffers.OperationStatus.Done)
        {
            return (null, string.Empty, 0, -1);
        }

        if (header.Fragment != 0)
        {
            return (null, string.Empty, 0, FragmentOffset);
        }

        IPAddress? ip = header.Address.ToIPAddress();
        int port = header.Address.Port;
        return ip is null
            ? (null, header.Address.GetHost(), port, offset)
            : (new IPEndPoint(IPAddresses.Unmap(ip), port), ip.ToString(), port, offset);
    }

    private async Task<IPEndPoint?> ResolveAsync(string host, int port, CancellationToken cancellationToken)
    {
        try
        {
            IPAddress[] addresses = await _policy.ResolveAsync(host, cancellationToken).ConfigureAwait(false);
            // The first address the egress policy lets through, so a name with a denied address and an allowed one works.
            foreach (IPAddress address in addresses)
            {
                IPAddress unmapped = IPAddresses.Unmap(address);
                if (_policy.IsEgressAllowed(unmapped, _connection.LocalEndPoint))
                {
                    return new IPEndPoint(unmapped, port);
                }
            }
            return addresses.Length == 0 ? null : new IPEndPoint(IPAddresses.Unmap(addresses[0]), port);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return null; // a name that does not resolve: the datagram is dropped
        }
    }

    private Socket SocketFor(AddressFamily family, CancellationToken cancellationToken)
    {
        if (family == _clientSocket.AddressFamily)
        {
            return _clientSocket;
        }

        lock (_gate)
        {
            if (_otherFamilySocket is null)
            {
                // A destination of the other family (an IPv4 client reaching ::1, say) needs a socket of that family.
                var socket = new Socket(family, SocketType.Dgram, ProtocolType.Udp);
                socket.Bind(new IPEndPoint(family == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, 0));
                _otherFamilySocket = socket;
                _otherFamilyLoop = ReceiveLoopAsync(socket, cancellationToken);
            }

            return _otherFamilySocket;
        }
    }

    // False when the send failed (too big for the path, no route, ...): UDP gives no delivery promise, and a datagram
    // that could not be sent is a datagram lost, neither counted nor activity.
    private static async Task<bool> SendAsync(Socket socket, ReadOnlyMemory<byte> datagram, IPEndPoint destination)
    {
        try
        {
            await socket.SendToAsync(datagram, SocketFlags.None, destination).ConfigureAwait(false);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private async Task IdleWatchAsync(CancellationToken cancellationToken)
    {
        if (_idleTimeout == Timeout.InfiniteTimeSpan)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
            return;
        }

        while (true)
        {
            TimeSpan left = _idleTimeout - _clock.GetElapsedTime(Interlocked.Read(ref _lastActivity));
            if (left <= TimeSpan.Zero)
            {
                return;
            }

            // Activity only ever moves the deadline later, so sleeping until the current one misses nothing. Whole
            // milliseconds, rounded up, so that a timer does not wake a hair early and spin; at most about 24.8 days at a
            // time (a longer timeout is slept in parts).
            double ms = Math.Min(Math.Ceiling(left.TotalMilliseconds), int.MaxValue - 1);
            await Deadline.DelayAsync(_clock, TimeSpan.FromMilliseconds(ms), cancellationToken).ConfigureAwait(false);
        }
    }
}
