namespace Socks5.Protocol.Engine;

/// <summary>
/// What a <see cref="Socks5ServerEngine"/> call ended on: what the host must do next. <see cref="Socks4ServerEngine"/> and
/// <see cref="HttpConnectServerEngine"/> return the same values (never <see cref="SecondReplyRequired"/>).
/// </summary>
public enum ServerEvent
{
    /// <summary>Every complete message was handled; call <see cref="Socks5ServerEngine.Process"/> again when more bytes arrive.</summary>
    NeedMoreData,

    /// <summary>
    /// An RFC 1929 request arrived: read <see cref="Socks5ServerEngine.UserName"/> and <see cref="Socks5ServerEngine.Password"/>,
    /// then answer with <see cref="Socks5ServerEngine.AcceptCredentials"/>.
    /// </summary>
    CredentialsReceived,

    /// <summary>
    /// The request arrived: read <see cref="Socks5ServerEngine.Request"/>, do the work, then answer with
    /// <see cref="Socks5ServerEngine.Reply(Socks5.Protocol.Wire.ReplyCode, Socks5.Protocol.Wire.Socks5EndPoint, System.Buffers.IBufferWriter{byte})"/>.
    /// </summary>
    RequestReceived,

    /// <summary>BIND's first reply is written; when the peer connects (or does not), send the second with <c>Reply</c>.</summary>
    SecondReplyRequired,

    /// <summary>
    /// The final success reply is written: the handshake is over. Every byte after those the engine consumed belongs to the
    /// tunnel (for UDP ASSOCIATE, the TCP connection just stays open).
    /// </summary>
    Established,

    /// <summary>
    /// The handshake failed (see <see cref="Socks5ServerEngine.Failure"/>): send what was written, if anything, then close.
    /// </summary>
    MustClose,
}
