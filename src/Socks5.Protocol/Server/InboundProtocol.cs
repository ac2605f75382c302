namespace Socks5.Protocol.Server;

/// <summary>
/// The protocol a client spoke to the server. One port serves all of them: the server tells them apart by the first
/// byte (5: SOCKS5, 4: SOCKS4 or SOCKS4a, a letter: an HTTP request line).
/// </summary>
public enum InboundProtocol
{
    /// <summary>SOCKS5 (RFC 1928).</summary>
    Socks5,

    /// <summary>SOCKS4, with the destination as an IPv4 address.</summary>
    Socks4,

    /// <summary>SOCKS4a: SOCKS4 with the destination as a host name the server resolves.</summary>
    Socks4a,

    /// <summary>An HTTP/1.x CONNECT request (RFC 9110 §9.3.6).</summary>
    HttpConnect,
}
