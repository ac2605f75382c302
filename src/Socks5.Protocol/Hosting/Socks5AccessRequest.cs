using System.Net;
using Socks5.Protocol.Wire;

namespace Socks5.Protocol.Hosting;

/// <summary>
/// What an access rule decides on: who asks, for what, and the exact address that will be used. Rules run after name
/// resolution, once per resolved address, so a rule about addresses sees what will be dialed.
/// </summary>
/// <param name="Client">The client's address (the TCP peer).</param>
/// <param name="UserName">The authenticated RFC 1929 user, or null without authentication.</param>
/// <param name="Command">The request's command.</param>
/// <param name="RequestedHost">DST.ADDR as the client sent it: an IP literal or a domain name.</param>
/// <param name="Destination">
/// The resolved address: what CONNECT dials, where a UDP datagram goes, or (BIND) the address the client said the peer
/// will come from (0.0.0.0:0 when it did not say).
/// </param>
public sealed record Socks5AccessRequest(EndPoint? Client, string? UserName, Command Command, string RequestedHost, IPEndPoint Destination);
