namespace Socks5.Protocol.Engine;

/// <summary>Why an engine reached its must-close state.</summary>
public enum HandshakeFailure
{
    /// <summary>No failure.</summary>
    None,

    /// <summary>The peer sent a malformed message; <c>ParseError</c> on the engine says which field and rule.</summary>
    MalformedMessage,

    /// <summary>No authentication method both sides support (the server sent or received METHOD X'FF').</summary>
    NoAcceptableMethod,

    /// <summary>The server selected a method the client had not offered.</summary>
    UnexpectedMethod,

    /// <summary>The authentication sub-negotiation failed (wrong credentials, a GSSAPI abort, ...).</summary>
    AuthenticationFailed,

    /// <summary>The request's command is not one the server engine accepts; it replied X'07'.</summary>
    CommandNotSupported,

    /// <summary>The request was refused with a non-zero reply code (see the engine's <c>ReplyCode</c>).</summary>
    RequestRejected,

    /// <summary>The peer closed the connection before the handshake ended (the engine was told its input was final).</summary>
    ConnectionClosed,

    /// <summary>The peer sent the engine's <c>MaxMessageLength</c> bytes for that stage without completing a message.</summary>
    MessageTooLong,
}
