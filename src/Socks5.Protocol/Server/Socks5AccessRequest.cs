using System.Net;
using Socks5.Protocol.Wire;

namespace Socks5.Protocol.Server;

/// <summary>
/// What an access rule decides on: who asks, for what, and the exact address that will be used. Rules run after name
/// resolution, once per resolved address, so a rule about addresses sees what will be dialed.
/// </summary>
/// <remarks>
/// Before any rule, the server refuses on its own (X'02', the datagram dropped, the BIND peer closed) to dial, send to or
/// take a peer from an unspecified address (0.0.0.0, ::), which would reach this machine, or one of its own listen end
/// points unless <see cref="Socks5ServerOptions.AllowSelfConnect"/> is set. An IPv4-mapped IPv6 address
/// (::ffff:a.b.c.d) is given, and used, as plain IPv4. The server fills it in; a host creates one only to test its rule.
/// </remarks>
public sealed class Socks5AccessRequest
{
    /// <summary>The client's address (the TCP peer).</summary>
    public EndPoint? Client { get; init; }

    /// <summary>The authenticated RFC 1929 user, or null without authentication.</summary>
    public string? UserName { get; init; }

    /// <summary>The protocol the client spoke; a SOCKS4, SOCKS4a or HTTP CONNECT request is given as the same command.</summary>
    public InboundProtocol Protocol { get; init; }

    /// <summary>The request's command.</summary>
    public Command Command { get; init; }

    /// <summary>DST.ADDR as the client sent it: an IP literal or a domain name.</summary>
    public string RequestedHost { get; init; } = string.Empty;

    /// <summary>
    /// The resolved address: what CONNECT dials, or where a UDP datagram goes. BIND asks twice: when the request arrives,
    /// about each address the client said the peer will come from (DST.ADDR and DST.PORT, a name resolved; 0.0.0.0 or ::
    /// when it did not say), and then about each peer that connects, with that peer's address; a refused peer is closed
    /// and BIND waits for another. Never null in a request from the server.
    /// </summary>
    public IPEndPoint Destination { get; init; } = null!;

    /// <summary>
    /// True when <see cref="Destination"/> is this machine: a loopback address (127.0.0.0/8, ::1) or an address of one
    /// of its network interfaces. A rule of "nothing on this machine" is <c>!request.IsLocalDestination</c>.
    /// </summary>
    public bool IsLocalDestination => MachineAddresses.Contains(Destination.Address);
}
