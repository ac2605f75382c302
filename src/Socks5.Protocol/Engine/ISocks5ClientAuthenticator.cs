using System;
using System.Buffers;
using Socks5.Protocol.Wire;

namespace Socks5.Protocol.Engine;

/// <summary>
/// The client side of one connection's authentication sub-negotiation: RFC 1929
/// (<see cref="UsernamePasswordClientAuthenticator"/>), GSSAPI (<see cref="GssapiClientAuthenticator"/>) or a private method.
/// </summary>
/// <remarks>
/// <see cref="Socks5ClientEngine"/> offers <see cref="Method"/> in its greeting; when the server selects it, the engine
/// calls <see cref="Start"/> once, then <see cref="Process"/> with each batch of bytes from the server until the
/// sub-negotiation ends. A method may handle one message per call: after a call that consumed bytes and needs more, the
/// engine calls again at once with the rest.
/// </remarks>
public interface ISocks5ClientAuthenticator
{
    /// <summary>The METHOD this authenticator implements.</summary>
    AuthenticationMethod Method { get; }

    /// <summary>Writes the client's first sub-negotiation message, if the method starts with one.</summary>
    /// <param name="output">Where to write.</param>
    /// <returns><see cref="AuthenticatorResult.NeedMoreData"/> normally; a method with no exchange may succeed at once.</returns>
    AuthenticatorResult Start(IBufferWriter<byte> output);

    /// <summary>Takes the bytes received from the server so far and writes whatever must be sent next.</summary>
    /// <param name="input">The bytes received and not yet consumed.</param>
    /// <param name="output">Where to write messages for the server.</param>
    /// <param name="bytesConsumed">How many bytes of <paramref name="input"/> were used.</param>
    /// <returns>Whether to wait for more, proceed to the request, or close.</returns>
    AuthenticatorResult Process(ReadOnlySpan<byte> input, IBufferWriter<byte> output, out int bytesConsumed);
}
