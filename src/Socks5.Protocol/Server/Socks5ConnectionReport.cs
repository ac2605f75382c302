using System;
using System.Net;
using Socks5.Protocol.Engine;
using Socks5.Protocol.Wire;

namespace Socks5.Protocol.Server;

/// <summary>
/// One line of the server's log: what became of a connection. The server hands one to
/// <see cref="Socks5ServerOptions.ConnectionClosed"/> when a connection ends, whether it was a tunnel or a failure.
/// </summary>
/// <remarks>The server fills it in; a host creates one only to test its own log code.</remarks>
public sealed class Socks5ConnectionReport
{
    /// <summary>The client's address.</summary>
    public EndPoint? Client { get; init; }

    /// <summary>The authenticated user, if any.</summary>
    public string? UserName { get; init; }

    /// <summary>The protocol the client spoke; a SOCKS4, SOCKS4a or HTTP CONNECT request is given as the same command.</summary>
    public InboundProtocol Protocol { get; init; }

    /// <summary>The command, when a request arrived.</summary>
    public Command? Command { get; init; }

    /// <summary>DST.ADDR:DST.PORT as requested (IPv6 in brackets), when a request arrived.</summary>
    public string? Destination { get; init; }

    /// <summary>The reply sent, when one was; for SOCKS4 and HTTP CONNECT, the SOCKS5 reply their answer was mapped from.</summary>
    public ReplyCode? ReplyCode { get; init; }

    /// <summary>Why the handshake failed, or <see cref="HandshakeFailure.None"/>.</summary>
    public HandshakeFailure Failure { get; init; }

    /// <summary>An exception that ended the connection (a reset, a timeout, a bug in a hook), if any.</summary>
    public Exception? Error { get; init; }

    /// <summary>Tunnel bytes relayed from the client (for UDP, payload bytes).</summary>
    public long BytesFromClient { get; init; }

    /// <summary>Tunnel bytes relayed to the client (for UDP, payload bytes).</summary>
    public long BytesToClient { get; init; }

    /// <summary>From accept to close, on <see cref="Socks5ServerOptions.TimeProvider"/>.</summary>
    public TimeSpan Duration { get; init; }

    /// <summary>True when the request was answered with success and the connection ended without an error.</summary>
    public bool Succeeded => ReplyCode == Wire.ReplyCode.Succeeded && Error is null;
}
