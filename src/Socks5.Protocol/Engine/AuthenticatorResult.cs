namespace Socks5.Protocol.Engine;

/// <summary>
/// What a call to an <see cref="ISocks5ClientAuthenticator"/> or <see cref="ISocks5ServerAuthenticator"/> ended on: where the
/// method-specific sub-negotiation stands after that step. (Not a status byte from the wire: RFC 1929's STATUS is
/// <see cref="UsernamePasswordClientAuthenticator.Status"/>.)
/// </summary>
public enum AuthenticatorResult
{
    /// <summary>The method wrote what it had to (if anything) and waits for more bytes from the peer.</summary>
    NeedMoreData,

    /// <summary>The sub-negotiation ended in success: the request comes next.</summary>
    Succeeded,

    /// <summary>The sub-negotiation failed; the method wrote any failure message it owes the peer. The connection must close.</summary>
    Failed,
}
