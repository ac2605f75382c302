namespace Socks5.Protocol.Wire;

/// <summary>
/// The CMD field of a SOCKS5 request (RFC 1928 §4).
/// </summary>
/// <remarks>
/// <code>
///   o  CONNECT X'01'
///   o  BIND X'02'
///   o  UDP ASSOCIATE X'03'
/// </code>
/// Tor's extensions to the SOCKS protocol (socks-extensions, "Name lookup") add RESOLVE X'F0' (SOCKS4a and SOCKS5)
/// and RESOLVE_PTR X'F1' (SOCKS5 only). SOCKS4's CD uses the same values for CONNECT (1), BIND (2) and RESOLVE.
/// Any other byte is kept as its raw value, so that an engine can answer X'07' (command not
/// supported) or implement an extension.
/// </remarks>
public enum Command : byte
{
    /// <summary>X'01': connect to the destination and relay a TCP stream.</summary>
    Connect = 0x01,

    /// <summary>X'02': listen for one inbound connection from the destination.</summary>
    Bind = 0x02,

    /// <summary>X'03': set up a UDP relay.</summary>
    UdpAssociate = 0x03,

    /// <summary>X'F0' (Tor's RESOLVE): look up the host name of the destination and answer with its address in the reply.</summary>
    Resolve = 0xF0,

    /// <summary>X'F1' (Tor's RESOLVE_PTR, SOCKS5 only): look up the name of the destination's IPv4 address and answer with it in the reply.</summary>
    ResolvePtr = 0xF1,
}
