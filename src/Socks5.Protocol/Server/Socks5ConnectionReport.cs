using System;
using System.Net;
using Socks5.Protocol.Engine;
using Socks5.Protocol.Wire;

namespace Socks5.Protocol.Server;

/// <summary>
/// One line of the server's log: what became of a connection. The server hands one to
/// <see cref="Socks5ServerOptions.ConnectionClosed"/> when a connection ends, whether it was a tunnel or a failure.
/// </summary>
/// <param name="Client">The client's address.</param>
/// <param name="UserName">The authenticated user, if any.</param>
/// <param name="Command">The command, when a request arrived.</param>
/// <param name="Destination">DST.ADDR:DST.PORT as requested, when a request arrived.</param>
/// <param name="ReplyCode">The reply sent, when one was.</param>
/// <param name="Failure">Why the handshake failed, or <see cref="HandshakeFailure.None"/>.</param>
/// <param name="Error">An exception that ended the connection (a reset, a timeout, a bug in a hook), if any.</param>
/// <param name="BytesFromClient">Tunnel bytes relayed from the client (for UDP, payload bytes).</param>
/// <param name="BytesToClient">Tunnel bytes relayed to the client (for UDP, payload bytes).</param>
/// <param name="Duration">From accept to close.</param>
public sealed record Socks5ConnectionReport(
    EndPoint? Client,
    string? UserName,
    Command? Command,
    string? Destination,
    ReplyCode? ReplyCode,
    HandshakeFailure Failure,
    Exception? Error,
    long BytesFromClient,
    long BytesToClient,
    TimeSpan Duration)
{
    /// <summary>True when the request was answered with success and the connection ended without an error.</summary>
    public bool Succeeded => ReplyCode == Wire.ReplyCode.Succeeded && Error is null;
}
