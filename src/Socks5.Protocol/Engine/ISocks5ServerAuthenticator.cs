using System;
using System.Buffers;
using Socks5.Protocol.Wire;

namespace Socks5.Protocol.Engine;

/// <summary>
/// The server side of one connection's authentication sub-negotiation, for GSSAPI (see <see cref="GssapiServerAuthenticator"/>)
/// and private methods X'80' to X'FE'. RFC 1929 is built into <see cref="Socks5ServerEngine"/>, which hands the
/// user name and password to the host instead.
/// </summary>
/// <remarks>
/// The engine calls <see cref="Process"/> with the bytes the client sent after the method selection. The method may
/// exchange any number of messages, and may handle one per call: after a call that consumed bytes and needs more, the
/// engine calls again at once with the rest. Like the engine it is sans-IO: it consumes complete messages only and must
/// bound what it waits for, so that a client cannot make the host buffer without limit.
/// </remarks>
public interface ISocks5ServerAuthenticator
{
    /// <summary>The METHOD this authenticator implements.</summary>
    AuthenticationMethod Method { get; }

    /// <summary>Takes the bytes received so far and writes whatever must be sent back.</summary>
    /// <param name="input">The bytes received and not yet consumed.</param>
    /// <param name="output">Where to write messages for the client.</param>
    /// <param name="bytesConsumed">How many bytes of <paramref name="input"/> were used; the rest are offered again.</param>
    /// <returns>Whether to wait for more, proceed to the request, or close.</returns>
    AuthenticatorResult Process(ReadOnlySpan<byte> input, IBufferWriter<byte> output, out int bytesConsumed);
}
