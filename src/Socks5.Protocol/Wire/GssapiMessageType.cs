namespace Socks5.Protocol.Wire;

/// <summary>The MTYP field of an RFC 1961 GSSAPI sub-negotiation message.</summary>
/// <remarks>
/// <code>
///   X'01' authentication (context establishment tokens, RFC 1961 §3)
///   X'02' protection-level negotiation (RFC 1961 §4)
///   X'03' encapsulated user data (RFC 1961 §5)
///   X'FF' abort: the message has no LEN and no TOKEN
/// </code>
/// </remarks>
public enum GssapiMessageType : byte
{
    /// <summary>X'01': a context establishment token.</summary>
    Authentication = 0x01,

    /// <summary>X'02': a protection-level negotiation token.</summary>
    ProtectionLevelNegotiation = 0x02,

    /// <summary>X'03': an encapsulated (wrapped) message.</summary>
    EncapsulatedMessage = 0x03,

    /// <summary>X'FF': abort; the message is just VER and MTYP.</summary>
    Abort = 0xFF,
}
