namespace Socks5.Protocol.Wire;

/// <summary>
/// Why a parser returned <see cref="System.Buffers.OperationStatus.InvalidData"/>: the field and the rule it broke.
/// An engine maps it to the SOCKS reply it owes the peer (see <see cref="ParseErrorExtensions.ToReplyCode"/>).
/// </summary>
public enum ParseError : byte
{
    /// <summary>No error: the parse was <c>Done</c> or needs more data.</summary>
    None = 0,

    /// <summary>
    /// VER is not the one the message requires (5 for SOCKS5 messages, 1 for RFC 1929 and RFC 1961 sub-negotiation,
    /// 4 for a SOCKS4 request, 0 for a SOCKS4 reply), or an HTTP request's major version is not 1 (a server answers 505).
    /// </summary>
    UnsupportedVersion,

    /// <summary>NMETHODS is 0 in a greeting: the RFC allows 1 to 255.</summary>
    NoMethods,

    /// <summary>A reserved field (RSV in a request or reply, the two RSV bytes of a UDP header) is not zero.</summary>
    NonZeroReserved,

    /// <summary>ATYP is not X'01', X'03' or X'04'.</summary>
    UnknownAddressType,

    /// <summary>A domain name's length byte is 0: the name must have 1 to 255 bytes.</summary>
    EmptyDomainName,

    /// <summary>ULEN is 0 in an RFC 1929 request: the user name must have 1 to 255 bytes.</summary>
    EmptyUserName,

    /// <summary>PLEN is 0 in an RFC 1929 request: the password must have 1 to 255 bytes.</summary>
    EmptyPassword,

    /// <summary>MTYP of an RFC 1961 message is not X'01', X'02', X'03' or X'FF'.</summary>
    UnknownGssapiMessageType,

    /// <summary>LEN of an RFC 1961 message is larger than the limit the caller set.</summary>
    GssapiTokenTooLong,

    /// <summary>The USERID of a SOCKS4 request has no NUL within 255 bytes (the bound this library sets).</summary>
    UserIdTooLong,

    /// <summary>The host name of a SOCKS4a request has no NUL within 255 bytes (the SOCKS5 and DNS bound).</summary>
    DomainNameTooLong,

    /// <summary>An HTTP request head (request line, fields and the empty line) does not end within the size limit (a server answers 431 or 400).</summary>
    HeadTooLarge,

    /// <summary>
    /// An HTTP request line is not <c>method SP request-target SP HTTP/1.x CRLF</c> (RFC 9112 §3): a method that is not a
    /// token, extra or missing spaces, a target with a byte outside visible ASCII, a bad version, or a bare LF.
    /// </summary>
    InvalidRequestLine,

    /// <summary>
    /// An HTTP field line is not <c>field-name ":" OWS field-value OWS CRLF</c> (RFC 9112 §5): a name that is not a token,
    /// space before the colon, a CR, LF or NUL in the value, an obsolete line folding, or a repeated Proxy-Authorization.
    /// </summary>
    InvalidHeader,

    /// <summary>
    /// The target of an HTTP CONNECT is not <c>host:port</c> (RFC 9110 §9.3.6) with a port from 1 to 65535 and a host of
    /// 1 to 255 bytes: a name with a byte a URI host does not allow, or a bracketed literal that is not an IPv6 address.
    /// </summary>
    InvalidRequestTarget,

    /// <summary>
    /// The status line of an HTTP response is not <c>HTTP/1.x SP 3DIGIT [ SP reason-phrase ] CRLF</c> (RFC 9112 §4): the
    /// peer is not an HTTP/1 proxy, or a byte of the line is out of place.
    /// </summary>
    InvalidStatusLine,
}

/// <summary>Helpers for <see cref="ParseError"/>.</summary>
public static class ParseErrorExtensions
{
    /// <summary>
    /// The reply a server owes a client whose request failed to parse with <paramref name="error"/>:
    /// X'08' for an unknown address type, X'01' (general failure) for anything else.
    /// </summary>
    /// <param name="error">The error a request parser reported.</param>
    /// <returns>The reply code to send before closing.</returns>
    public static ReplyCode ToReplyCode(this ParseError error) =>
        error == ParseError.UnknownAddressType ? ReplyCode.AddressTypeNotSupported : ReplyCode.GeneralFailure;
}
