using System;
using System.Buffers;

namespace Socks5.Protocol.Engine;

/// <summary>The result of one GSSAPI step.</summary>
public enum GssapiContextStatus
{
    /// <summary>More tokens must be exchanged (GSS_S_CONTINUE_NEEDED).</summary>
    ContinueNeeded,

    /// <summary>This step is complete (GSS_S_COMPLETE).</summary>
    Complete,

    /// <summary>The step failed; the connection is aborted.</summary>
    Failed,
}

/// <summary>
/// The GSSAPI security context of one connection, supplied by the host (Kerberos through the platform's GSSAPI, SSPI, or a
/// test double). <see cref="GssapiClientAuthenticator"/> and <see cref="GssapiServerAuthenticator"/> do the RFC 1961
/// framing and call it for every token; it never sees SOCKS bytes.
/// </summary>
public interface IGssapiSecurityContext
{
    /// <summary>
    /// One step of context establishment (RFC 1961 §3): <c>gss_init_sec_context</c> on a client,
    /// <c>gss_accept_sec_context</c> on a server.
    /// </summary>
    /// <param name="inputToken">The peer's token; empty for the client's first step.</param>
    /// <param name="outputToken">Where to write the token to send, if any.</param>
    /// <returns>Whether the context is established, needs more tokens, or failed.</returns>
    GssapiContextStatus EstablishContext(ReadOnlySpan<byte> inputToken, IBufferWriter<byte> outputToken);

    /// <summary>
    /// Protection-level negotiation (RFC 1961 §4). The client is called with an empty input first and writes its (wrapped)
    /// protection-level token, then with the server's answer. The server is called with the client's token and writes its
    /// (wrapped) answer.
    /// </summary>
    /// <param name="inputToken">The peer's token, or empty for the client's first call.</param>
    /// <param name="outputToken">Where to write the token to send, if any.</param>
    /// <returns><see cref="GssapiContextStatus.Complete"/> when the level is agreed; ContinueNeeded after the client's first call.</returns>
    GssapiContextStatus NegotiateProtection(ReadOnlySpan<byte> inputToken, IBufferWriter<byte> outputToken);
}
