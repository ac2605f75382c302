namespace Socks5.Protocol.Wire;

/// <summary>
/// The authentication METHOD values of RFC 1928 §3.
/// </summary>
/// <remarks>
/// <code>
///   o  X'00' NO AUTHENTICATION REQUIRED
///   o  X'01' GSSAPI
///   o  X'02' USERNAME/PASSWORD
///   o  X'03' to X'7F' IANA ASSIGNED
///   o  X'80' to X'FE' RESERVED FOR PRIVATE METHODS
///   o  X'FF' NO ACCEPTABLE METHODS
/// </code>
/// The enum is a byte, so any other value (an IANA or a private method) survives a round trip as
/// its raw value: <c>(AuthenticationMethod)0x80</c>.
/// </remarks>
public enum AuthenticationMethod : byte
{
    /// <summary>X'00': no authentication required.</summary>
    NoAuthenticationRequired = 0x00,

    /// <summary>X'01': GSSAPI (RFC 1961).</summary>
    Gssapi = 0x01,

    /// <summary>X'02': username/password (RFC 1929).</summary>
    UsernamePassword = 0x02,

    /// <summary>X'FF': no acceptable methods. Only ever sent by a server, in the method selection message.</summary>
    NoAcceptableMethods = 0xFF,
}
