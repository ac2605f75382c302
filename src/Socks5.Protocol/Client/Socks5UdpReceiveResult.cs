using System.Net;

namespace Socks5.Protocol.Client;

/// <summary>A datagram received through a SOCKS5 UDP relay.</summary>
public readonly struct Socks5UdpReceiveResult
{
    /// <summary>Creates a result.</summary>
    /// <param name="receivedBytes">How many payload bytes were copied into the caller's buffer.</param>
    /// <param name="remoteEndPoint">Where the datagram came from, as the relay's header says.</param>
    public Socks5UdpReceiveResult(int receivedBytes, EndPoint remoteEndPoint)
    {
        ReceivedBytes = receivedBytes;
        RemoteEndPoint = remoteEndPoint;
    }

    /// <summary>How many payload bytes were copied into the caller's buffer (a longer payload is cut to the buffer, as UDP does).</summary>
    public int ReceivedBytes { get; }

    /// <summary>The datagram's source from the relay's header: an <see cref="IPEndPoint"/>, or a <see cref="DnsEndPoint"/> for ATYP X'03'.</summary>
    public EndPoint RemoteEndPoint { get; }
}
