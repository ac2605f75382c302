namespace Socks5.Protocol.Engine;

/// <summary>Where a method-specific sub-negotiation stands after a step.</summary>
public enum AuthenticationStatus
{
    /// <summary>The method wrote what it had to (if anything) and waits for more bytes from the peer.</summary>
    NeedMoreData,

    /// <summary>The sub-negotiation ended in success: the request comes next.</summary>
    Succeeded,

    /// <summary>The sub-negotiation failed; the method wrote any failure message it owes the peer. The connection must close.</summary>
    Failed,
}
