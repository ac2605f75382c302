namespace Socks5.Protocol.Client;

/// <summary>The protocol a <see cref="Socks5Client"/> speaks to its proxy.</summary>
public enum ProxyProtocol
{
    /// <summary>SOCKS5 (RFC 1928): CONNECT, BIND, UDP ASSOCIATE and Tor's RESOLVE and RESOLVE_PTR.</summary>
    Socks5,

    /// <summary>
    /// SOCKS4, or SOCKS4a when a host name is sent: CONNECT and Tor's RESOLVE. SOCKS4 carries IPv4 addresses only; the
    /// user name, if any, is sent as USERID and the password is not used.
    /// </summary>
    Socks4,

    /// <summary>An HTTP proxy's CONNECT tunnel (RFC 9110 §9.3.6), with Basic credentials (RFC 7617) when a user name is set.</summary>
    HttpConnect,
}
