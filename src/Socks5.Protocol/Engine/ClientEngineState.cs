namespace Socks5.Protocol.Engine;

/// <summary>The stages of a <see cref="Socks5ClientEngine"/>.</summary>
public enum ClientEngineState
{
    /// <summary>Created; <see cref="Socks5ClientEngine.Start"/> writes the greeting.</summary>
    NotStarted,

    /// <summary>The greeting is written; waiting for the server's method selection.</summary>
    AwaitingMethodSelection,

    /// <summary>The selected method's sub-negotiation is running.</summary>
    Authenticating,

    /// <summary>The request is written; waiting for the reply.</summary>
    AwaitingReply,

    /// <summary>BIND: the first reply arrived; waiting for the second.</summary>
    AwaitingSecondReply,

    /// <summary>The handshake succeeded; the connection is a tunnel now.</summary>
    Established,

    /// <summary>The handshake failed; the connection must close.</summary>
    Closed,
}
