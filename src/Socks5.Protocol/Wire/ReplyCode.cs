namespace Socks5.Protocol.Wire;

/// <summary>
/// The REP field of a SOCKS5 reply (RFC 1928 §6).
/// </summary>
/// <remarks>
/// <code>
///   o  X'00' succeeded
///   o  X'01' general SOCKS server failure
///   o  X'02' connection not allowed by ruleset
///   o  X'03' Network unreachable
///   o  X'04' Host unreachable
///   o  X'05' Connection refused
///   o  X'06' TTL expired
///   o  X'07' Command not supported
///   o  X'08' Address type not supported
///   o  X'09' to X'FF' unassigned
/// </code>
/// Servers in the wild send other values (Tor uses X'F0' to X'F7'); they are kept as the raw byte.
/// </remarks>
public enum ReplyCode : byte
{
    /// <summary>X'00': succeeded.</summary>
    Succeeded = 0x00,

    /// <summary>X'01': general SOCKS server failure.</summary>
    GeneralFailure = 0x01,

    /// <summary>X'02': connection not allowed by ruleset.</summary>
    ConnectionNotAllowed = 0x02,

    /// <summary>X'03': network unreachable.</summary>
    NetworkUnreachable = 0x03,

    /// <summary>X'04': host unreachable.</summary>
    HostUnreachable = 0x04,

    /// <summary>X'05': connection refused.</summary>
    ConnectionRefused = 0x05,

    /// <summary>X'06': TTL expired.</summary>
    TtlExpired = 0x06,

    /// <summary>X'07': command not supported.</summary>
    CommandNotSupported = 0x07,

    /// <summary>X'08': address type not supported.</summary>
    AddressTypeNotSupported = 0x08,
}
