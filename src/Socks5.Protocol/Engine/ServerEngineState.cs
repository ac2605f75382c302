namespace Socks5.Protocol.Engine;

/// <summary>
/// The stages of a <see cref="Socks5ServerEngine"/>. <see cref="Socks4ServerEngine"/> and
/// <see cref="HttpConnectServerEngine"/> have no greeting or method: they use <see cref="AwaitingRequest"/>,
/// <see cref="CredentialsDecisionPending"/>, <see cref="RequestDecisionPending"/>, <see cref="Established"/> and
/// <see cref="Closed"/>.
/// </summary>
public enum ServerEngineState
{
    /// <summary>Waiting for the client's greeting.</summary>
    AwaitingGreeting,

    /// <summary>Waiting for the client's RFC 1929 request.</summary>
    AwaitingCredentials,

    /// <summary>The host must answer <see cref="ServerEvent.CredentialsReceived"/>.</summary>
    CredentialsDecisionPending,

    /// <summary>A GSSAPI or private method's sub-negotiation is running.</summary>
    Authenticating,

    /// <summary>Waiting for the client's request.</summary>
    AwaitingRequest,

    /// <summary>The host must answer <see cref="ServerEvent.RequestReceived"/>.</summary>
    RequestDecisionPending,

    /// <summary>BIND: the first reply was sent; the host must send the second.</summary>
    SecondReplyPending,

    /// <summary>The handshake succeeded; the connection is a tunnel now.</summary>
    Established,

    /// <summary>The handshake failed; the connection must close.</summary>
    Closed,
}
