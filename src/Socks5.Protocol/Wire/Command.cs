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
}
