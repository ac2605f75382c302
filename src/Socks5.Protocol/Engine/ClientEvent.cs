namespace Socks5.Protocol.Engine;

/// <summary>What a <see cref="Socks5ClientEngine"/> call ended on.</summary>
public enum ClientEvent
{
    /// <summary>Send what was written, then call <see cref="Socks5ClientEngine.Process"/> when more bytes arrive.</summary>
    NeedMoreData,

    /// <summary>
    /// BIND's first reply arrived: <see cref="Socks5ClientEngine.BindAddress"/> is where the proxy listens. Tell the peer,
    /// then call <see cref="Socks5ClientEngine.Process"/> again (with the bytes not consumed) for the second reply.
    /// </summary>
    FirstReplyReceived,

    /// <summary>
    /// The final success reply arrived: <see cref="Socks5ClientEngine.BoundAddress"/> holds BND.ADDR and BND.PORT, and every
    /// byte after those consumed is tunnel data.
    /// </summary>
    Established,

    /// <summary>The handshake failed (see <see cref="Socks5ClientEngine.Failure"/> and <see cref="Socks5ClientEngine.ReplyCode"/>): close.</summary>
    MustClose,
}
