using System;
using System.Buffers;
using Socks5.Protocol.Internal;
using Socks5.Protocol.Wire;

namespace Socks5.Protocol.Engine;

/// <summary>
/// The RFC 1961 message flow shared by both roles: context establishment with X'01' messages, then protection-level
/// negotiation with X'02' messages; an X'FF' abort from either side ends it. The security work is the host's
/// <see cref="IGssapiSecurityContext"/>. Hosts use it through <see cref="GssapiClientAuthenticator"/> and
/// <see cref="GssapiServerAuthenticator"/>: the flow is the RFC's, so the context is the only part to plug in.
/// </summary>
/// <remarks>
/// <para>
/// The server answers every X'01' message, with an empty token when its context completes without one (RFC 1961 §3).
/// The client opens the protection-level negotiation as soon as its context completes; when that step also produced a
/// token, it accepts either the server's empty answer to it or none before the server's X'02' message.
/// </para>
/// <para>
/// This covers the sub-negotiation. Per-message protection of the tunnel afterwards (X'03' encapsulation, RFC 1961 §5) is
/// not applied by the library's relay: hosts that negotiate integrity or confidentiality wrap the tunnel themselves with
/// <see cref="GssapiMessage"/>.
/// </para>
/// </remarks>
internal sealed class GssapiExchange
{
    private readonly IGssapiSecurityContext _context;
    private readonly int _maxTokenLength;
    private readonly bool _isServer;
    private readonly GrowableBufferWriter _token = new();
    private bool _negotiatingProtection;

    // Client only: our context completed on a step that produced a token, so the server's answer to that token may
    // still come, ahead of its protection-level message.
    private bool _lastTokenUnanswered;

    public GssapiExchange(IGssapiSecurityContext context, int maxTokenLength, bool isServer)
    {
        _context = context ?? throw new ArgumentNullException(nameof(context));
        if (maxTokenLength is < 0 or > GssapiMessage.MaxTokenLength)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(maxTokenLength), "A token limit is 0 to 65,535 bytes.");
        }

        _maxTokenLength = maxTokenLength;
        _isServer = isServer;
    }

    /// <summary>Set when the peer's message was malformed or too long.</summary>
    public ParseError ParseError { get; private set; }

    /// <summary>True when the peer sent an abort message.</summary>
    public bool AbortedByPeer { get; private set; }

    /// <summary>The context's first step (the client's initial token). Only the client starts.</summary>
    public AuthenticatorResult Begin(IBufferWriter<byte> output) =>
        Step(GssapiMessageType.Authentication, ReadOnlySpan<byte>.Empty, output);

    /// <summary>Handles one message from the peer.</summary>
    public AuthenticatorResult Process(ReadOnlySpan<byte> input, IBufferWriter<byte> output, out int bytesConsumed)
    {
        OperationStatus status = GssapiMessage.TryParse(input, _maxTokenLength, out GssapiMessage message, out bytesConsumed, out ParseError error);
        if (status == OperationStatus.NeedMoreData)
        {
            return AuthenticatorResult.NeedMoreData;
        }

        if (status == OperationStatus.InvalidData)
        {
            ParseError = error;
            return Abort(output);
        }

        if (message.MessageType == GssapiMessageType.Abort)
        {
            AbortedByPeer = true;
            return AuthenticatorResult.Failed;
        }

        if (_lastTokenUnanswered)
        {
            // RFC 1961 §3: a server whose context completes with no token of its own answers our last token with an
            // empty one; a server that says nothing goes straight to the protection level. Accept both. A token here
            // would be for a context that is already complete: that falls through to the abort below.
            _lastTokenUnanswered = false;
            if (message.MessageType == GssapiMessageType.Authentication && message.Token.IsEmpty)
            {
                return AuthenticatorResult.NeedMoreData;
            }
        }

        GssapiMessageType expected = _negotiatingProtection ? GssapiMessageType.ProtectionLevelNegotiation : GssapiMessageType.Authentication;
        if (message.MessageType != expected)
        {
            return Abort(output);
        }

        return Step(expected, message.Token, output);
    }

    private AuthenticatorResult Step(GssapiMessageType type, ReadOnlySpan<byte> token, IBufferWriter<byte> output)
    {
        _token.Clear();
        GssapiContextStatus result = type == GssapiMessageType.Authentication
            ? _context.EstablishContext(token, _token)
            : _context.NegotiateProtection(token, _token);
        if (result == GssapiContextStatus.Failed || _token.WrittenSpan.Length > GssapiMessage.MaxTokenLength)
        {
            return Abort(output);
        }

        // A server answers every client message, even with an empty token, so the client always knows where it stands.
        if (_isServer || _token.WrittenSpan.Length > 0)
        {
            GssapiMessage.Write(output, type, _token.WrittenSpan);
        }

        if (result == GssapiContextStatus.ContinueNeeded)
        {
            return AuthenticatorResult.NeedMoreData;
        }

        if (type == GssapiMessageType.ProtectionLevelNegotiation)
        {
            return AuthenticatorResult.Succeeded;
        }

        // The context is established: protection-level negotiation comes next, opened by the client at once, even when
        // the server still owes an answer to the token just written (as other clients, e.g. Dante's, do too).
        _negotiatingProtection = true;
        if (_isServer)
        {
            return AuthenticatorResult.NeedMoreData;
        }

        _lastTokenUnanswered = _token.WrittenSpan.Length > 0;
        return Step(GssapiMessageType.ProtectionLevelNegotiation, ReadOnlySpan<byte>.Empty, output);
    }

    private static AuthenticatorResult Abort(IBufferWriter<byte> output)
    {
        GssapiMessage.Write(output, GssapiMessageType.Abort, ReadOnlySpan<byte>.Empty);
        return AuthenticatorResult.Failed;
    }
}

/// <summary>The client side of RFC 1961 GSSAPI authentication, framing the tokens of a host-supplied context.</summary>
public sealed class GssapiClientAuthenticator : ISocks5ClientAuthenticator
{
    private readonly GssapiExchange _exchange;

    /// <summary>Creates the client side for one connection.</summary>
    /// <param name="context">The connection's security context.</param>
    /// <param name="maxTokenLength">The largest token accepted from the server.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxTokenLength"/> is not 0 to 65,535.</exception>
    public GssapiClientAuthenticator(IGssapiSecurityContext context, int maxTokenLength = GssapiMessage.MaxTokenLength) =>
        _exchange = new GssapiExchange(context, maxTokenLength, isServer: false);

    /// <summary>The METHOD: <see cref="AuthenticationMethod.Gssapi"/>.</summary>
    public AuthenticationMethod Method => AuthenticationMethod.Gssapi;

    /// <summary>Set when the server's message was malformed or too long.</summary>
    public ParseError ParseError => _exchange.ParseError;

    /// <summary>True when the server sent an abort message.</summary>
    public bool AbortedByPeer => _exchange.AbortedByPeer;

    /// <inheritdoc/>
    public AuthenticatorResult Start(IBufferWriter<byte> output) => _exchange.Begin(output);

    /// <inheritdoc/>
    public AuthenticatorResult Process(ReadOnlySpan<byte> input, IBufferWriter<byte> output, out int bytesConsumed) =>
        _exchange.Process(input, output, out bytesConsumed);
}

/// <summary>The server side of RFC 1961 GSSAPI authentication, framing the tokens of a host-supplied context.</summary>
public sealed class GssapiServerAuthenticator : ISocks5ServerAuthenticator
{
    private readonly GssapiExchange _exchange;

    /// <summary>Creates the server side for one connection.</summary>
    /// <param name="context">The connection's security context.</param>
    /// <param name="maxTokenLength">The largest token accepted from the client; a larger LEN aborts at once.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxTokenLength"/> is not 0 to 65,535.</exception>
    public GssapiServerAuthenticator(IGssapiSecurityContext context, int maxTokenLength = GssapiMessage.MaxTokenLength) =>
        _exchange = new GssapiExchange(context, maxTokenLength, isServer: true);

    /// <summary>The METHOD: <see cref="AuthenticationMethod.Gssapi"/>.</summary>
    public AuthenticationMethod Method => AuthenticationMethod.Gssapi;

    /// <summary>Set when the client's message was malformed or too long.</summary>
    public ParseError ParseError => _exchange.ParseError;

    /// <summary>True when the client sent an abort message.</summary>
    public bool AbortedByPeer => _exchange.AbortedByPeer;

    /// <inheritdoc/>
    public AuthenticatorResult Process(ReadOnlySpan<byte> input, IBufferWriter<byte> output, out int bytesConsumed) =>
        _exchange.Process(input, output, out bytesConsumed);
}
