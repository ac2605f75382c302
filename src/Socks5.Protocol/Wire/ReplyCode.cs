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
/// Tor's extensions to the SOCKS protocol ("Extended error codes") name X'F0' to X'F7', sent for failed onion
/// service connections. Servers in the wild send other values; they are kept as the raw byte.
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

    /// <summary>X'F0' (Tor): Onion Service Descriptor Can Not be Found; it is not on the hash ring.</summary>
    OnionServiceDescriptorCannotBeFound = 0xF0,

    /// <summary>X'F1' (Tor): Onion Service Descriptor Is Invalid; it cannot be parsed or its signature does not verify.</summary>
    OnionServiceDescriptorIsInvalid = 0xF1,

    /// <summary>X'F2' (Tor): Onion Service Introduction Failed; the service is no longer at its introduction points.</summary>
    OnionServiceIntroductionFailed = 0xF2,

    /// <summary>X'F3' (Tor): Onion Service Rendezvous Failed; the connection could not be finalized.</summary>
    OnionServiceRendezvousFailed = 0xF3,

    /// <summary>X'F4' (Tor): Onion Service Missing Client Authorization; the descriptor needs client authorization the client lacks.</summary>
    OnionServiceMissingClientAuthorization = 0xF4,

    /// <summary>X'F5' (Tor): Onion Service Wrong Client Authorization; the client's authorization does not decrypt the descriptor.</summary>
    OnionServiceWrongClientAuthorization = 0xF5,

    /// <summary>X'F6' (Tor): Onion Service Invalid Address; the .onion address is malformed (checksum, key or encoding).</summary>
    OnionServiceInvalidAddress = 0xF6,

    /// <summary>X'F7' (Tor): Onion Service Introduction Timed Out; every introduction attempt timed out.</summary>
    OnionServiceIntroductionTimedOut = 0xF7,
}
