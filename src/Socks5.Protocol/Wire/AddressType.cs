namespace Socks5.Protocol.Wire;

/// <summary>
/// The ATYP field of a SOCKS5 request, reply and UDP header (RFC 1928 §5).
/// </summary>
/// <remarks>
/// <code>
///   o  X'01' the address is a version-4 IP address, with a length of 4 octets
///   o  X'03' the address field contains a fully-qualified domain name.  The first
///            octet of the address field contains the number of octets of name that
///            follow, there is no terminating NUL octet.
///   o  X'04' the address is a version-6 IP address, with a length of 16 octets.
/// </code>
/// </remarks>
public enum AddressType : byte
{
    /// <summary>X'01': a 4-byte IPv4 address.</summary>
    IPv4 = 0x01,

    /// <summary>X'03': a domain name of 1 to 255 bytes, preceded by its length.</summary>
    DomainName = 0x03,

    /// <summary>X'04': a 16-byte IPv6 address.</summary>
    IPv6 = 0x04,
}
