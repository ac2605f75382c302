using System;
using System.Buffers;
using System.Collections.Generic;
using Socks5.Protocol.Internal;
using Socks5.Protocol.Wire;

namespace Socks5.Protocol.Engine;

/// <summary>
/// The client side of the SOCKS5 handshake as a sans-IO state machine: it writes the greeting, reacts to the method the
/// server selects (running that method's sub-negotiation), writes the request, and reports the reply.
/// </summary>
/// <remarks>
/// <para>
/// Call <see cref="Start"/> once and send what it wrote. Then call <see cref="Process"/> with every byte received and not
/// yet consumed, send what it wrote, keep the bytes past <c>bytesConsumed</c>, and act on the <see cref="ClientEvent"/>.
/// When the server closes its side, call <see cref="Process"/> once more with what is left and <c>isFinalBlock</c> set.
/// After <see cref="ClientEvent.Established"/> the bytes not consumed are the first tunnel bytes from the server: they
/// are never touched.
/// </para>
/// <para>
/// A server that selects a method that was not offered, or sends a malformed reply, gives <see cref="ClientEvent.MustClose"/>
/// with <see cref="Failure"/> saying why; a failure reply gives <see cref="HandshakeFailure.RequestRejected"/> with the raw
/// <see cref="ReplyCode"/>; a server that closes mid-handshake gives <see cref="HandshakeFailure.ConnectionClosed"/>, and one
/// that sends <see cref="MaxMessageLength"/> bytes without completing a message <see cref="HandshakeFailure.MessageTooLong"/>.
/// Calls out of order throw <see cref="InvalidOperationException"/>.
/// </para>
/// </remarks>
public sealed class Socks5ClientEngine : IClientEngine
{
    private readonly IReadOnlyList<ISocks5ClientAuthenticator> _authenticators;
    private readonly bool _offerNoAuthentication;
    private readonly Command _command;

    // METHODS of the greeting, in the order offered.
    private readonly AuthenticationMethod[] _methods;

    // The destination and the two possible replies, kept in buffers the engine owns (allocated once per engine).
    private readonly byte[] _destination = new byte[Socks5EndPoint.MaxEncodedLength];
    private readonly byte[] _firstReply = new byte[Socks5Reply.MaxLength];
    private readonly byte[] _finalReply = new byte[Socks5Reply.MaxLength];
    private int _firstReplyLength;
    private int _finalReplyLength;
    private ISocks5ClientAuthenticator? _authenticator;

    /// <summary>Creates an engine for one handshake.</summary>
    /// <param name="command">CMD: CONNECT, BIND, UDP ASSOCIATE or an extension's byte.</param>
    /// <param name="destination">DST.ADDR and DST.PORT (copied: the caller's buffer may be reused at once).</param>
    /// <param name="authenticators">
    /// Methods to offer besides "no authentication", in order, each with its per-connection state (credentials, a GSSAPI
    /// context). Null or empty offers no authentication only.
    /// </param>
    /// <param name="offerNoAuthentication">Whether to offer X'00' (first) as well.</param>
    /// <exception cref="ArgumentException">The destination is a <c>default</c> value, nothing would be offered, or more than 255 methods would be.</exception>
    public Socks5ClientEngine(Command command, Socks5EndPoint destination, IReadOnlyList<ISocks5ClientAuthenticator>? authenticators = null, bool offerNoAuthentication = true)
    {
        destination.TryWrite(_destination, out _);
        _command = command;
        _authenticators = authenticators ?? Array.Empty<ISocks5ClientAuthenticator>();
        _offerNoAuthentication = offerNoAuthentication;
        int count = _authenticators.Count + (offerNoAuthentication ? 1 : 0);
        if (count is 0 or > 255)
        {
            ThrowHelper.ThrowArgument($"A greeting offers 1 to 255 methods, not {count}.", nameof(authenticators));
        }

        _methods = new AuthenticationMethod[count];
        int offset = 0;
        if (offerNoAuthentication)
        {
            _methods[offset++] = AuthenticationMethod.NoAuthenticationRequired;
        }

        for (int i = 0; i < _authenticators.Count; i++)
        {
            _methods[offset++] = _authenticators[i].Method;
        }
    }

    /// <summary>Where the handshake stands.</summary>
    public ClientEngineState State { get; private set; }

    /// <summary>The method the server selected; <see cref="AuthenticationMethod.NoAcceptableMethods"/> until then.</summary>
    public AuthenticationMethod SelectedMethod { get; private set; } = AuthenticationMethod.NoAcceptableMethods;

    /// <summary>The authenticator of the selected method, if it is not X'00'.</summary>
    public ISocks5ClientAuthenticator? Authenticator => _authenticator;

    /// <summary>Why the engine is closed; <see cref="HandshakeFailure.None"/> otherwise.</summary>
    public HandshakeFailure Failure { get; private set; }

    /// <summary>The stage the engine was in when it failed (for messages that say where the server stopped).</summary>
    internal ClientEngineState FailedIn { get; private set; }

    /// <summary>With <see cref="HandshakeFailure.MalformedMessage"/>: which field of the server's message broke which rule.</summary>
    public ParseError ParseError { get; private set; }

    /// <summary>
    /// REP of the last reply, kept raw; <see cref="ReplyCode.Succeeded"/> before any reply. When the server closed in the
    /// middle of a reply that had reached REP (ss-local sends <c>05 07 00 01</c>, then closes), that reply's REP.
    /// </summary>
    public ReplyCode ReplyCode { get; private set; }

    /// <summary>
    /// The most unconsumed bytes the engine can need at this stage before it decides: 2 for the method selection, 262 for
    /// a reply, 65,539 (a GSSAPI message with the largest token) during a sub-negotiation; 0 when no input is expected.
    /// <see cref="Process"/> fails with <see cref="HandshakeFailure.MessageTooLong"/> when this many bytes still do not
    /// make a message, so a host never needs to buffer more.
    /// </summary>
    public int MaxMessageLength => State switch
    {
        ClientEngineState.AwaitingMethodSelection => Socks5MethodSelection.Length,
        ClientEngineState.Authenticating => GssapiMessage.HeaderLength + GssapiMessage.MaxTokenLength,
        ClientEngineState.AwaitingReply or ClientEngineState.AwaitingSecondReply => Socks5Reply.MaxLength,
        _ => 0,
    };

    /// <summary>The command this engine requests.</summary>
    public Command Command => _command;

    /// <summary>The destination this engine requests.</summary>
    public Socks5EndPoint Destination
    {
        get
        {
            Socks5EndPoint.TryParse(_destination, out Socks5EndPoint destination, out _, out _);
            return destination;
        }
    }

    /// <summary>BND.ADDR and BND.PORT of BIND's first reply: where the proxy listens for the peer.</summary>
    /// <exception cref="InvalidOperationException">No first BIND reply has arrived.</exception>
    public Socks5EndPoint BindAddress => GetReplyAddress(_firstReply, _firstReplyLength);

    /// <summary>
    /// BND.ADDR and BND.PORT of the final reply: the proxy's outgoing address (CONNECT), the peer's address (BIND), or the
    /// relay's address (UDP ASSOCIATE), the answer of Tor's RESOLVE (an address) or RESOLVE_PTR (a name). Also set for a
    /// failure reply, unless its ATYP was unknown (Tor sends 0 when a lookup fails).
    /// </summary>
    /// <exception cref="InvalidOperationException">No final reply has arrived.</exception>
    public Socks5EndPoint BoundAddress => GetReplyAddress(_finalReply, _finalReplyLength);

    /// <summary>
    /// Makes the engine ready to run the same request again on a new connection (same command, destination and
    /// authenticators), keeping its buffers. Authenticators that keep state must be reset by their owner.
    /// </summary>
    public void Reset()
    {
        State = ClientEngineState.NotStarted;
        SelectedMethod = AuthenticationMethod.NoAcceptableMethods;
        Failure = HandshakeFailure.None;
        FailedIn = ClientEngineState.NotStarted;
        ParseError = ParseError.None;
        ReplyCode = ReplyCode.Succeeded;
        _authenticator = null;
        _firstReplyLength = 0;
        _finalReplyLength = 0;
    }

    /// <summary>Writes the greeting.</summary>
    /// <param name="output">Where to write it.</param>
    /// <returns><see cref="ClientEvent.NeedMoreData"/>.</returns>
    /// <exception cref="InvalidOperationException">The engine was started already.</exception>
    public ClientEvent Start(IBufferWriter<byte> output)
    {
        if (State != ClientEngineState.NotStarted)
        {
            ThrowHelper.ThrowInvalidOperation("The handshake was started already.");
        }

        Socks5Greeting.Write(output, _methods);
        State = ClientEngineState.AwaitingMethodSelection;
        return ClientEvent.NeedMoreData;
    }

    /// <summary>Takes the bytes received and not yet consumed, handles every complete message, and writes what to send.</summary>
    /// <param name="input">The unconsumed bytes, oldest first.</param>
    /// <param name="output">Where to write the bytes to send.</param>
    /// <param name="bytesConsumed">How many bytes of <paramref name="input"/> were used; the caller keeps the rest.</param>
    /// <param name="isFinalBlock">
    /// True when the server has closed its side: no byte will follow <paramref name="input"/>. Where the engine would wait
    /// for more, it fails with <see cref="HandshakeFailure.ConnectionClosed"/> instead, keeping what it learnt (the REP of
    /// a reply cut short). Complete messages in <paramref name="input"/> are handled as usual, so after the final reply
    /// nothing changes.
    /// </param>
    /// <returns>What happened.</returns>
    /// <exception cref="InvalidOperationException">The engine was not started, or the handshake is over.</exception>
    public ClientEvent Process(ReadOnlySpan<byte> input, IBufferWriter<byte> output, out int bytesConsumed, bool isFinalBlock = false)
    {
        if (output is null)
        {
            throw new ArgumentNullException(nameof(output));
        }

        bytesConsumed = 0;
        while (true)
        {
            ReadOnlySpan<byte> rest = input.Slice(bytesConsumed);
            OperationStatus status;
            int used;
            ParseError error;
            switch (State)
            {
                case ClientEngineState.AwaitingMethodSelection:
                    status = Socks5MethodSelection.TryParse(rest, out Socks5MethodSelection selection, out used, out error);
                    if (status == OperationStatus.NeedMoreData)
                    {
                        return AwaitMore(rest, isFinalBlock);
                    }

                    if (status == OperationStatus.InvalidData)
                    {
                        return Fail(HandshakeFailure.MalformedMessage, error);
                    }

                    bytesConsumed += used;
                    SelectedMethod = selection.Method;
                    if (StartMethod(selection.Method, output) is ClientEvent selectEvent)
                    {
                        return selectEvent;
                    }

                    break;

                case ClientEngineState.Authenticating:
                    AuthenticatorResult auth = _authenticator!.Process(rest, output, out used);
                    if ((uint)used > (uint)rest.Length)
                    {
                        ThrowHelper.ThrowInvalidOperation("The authenticator consumed more bytes than it was given.");
                    }

                    bytesConsumed += used;

                    // A method may handle one message per call: while it consumes, offer it the rest, which can
                    // hold the next message already.
                    if (auth == AuthenticatorResult.NeedMoreData && (used == 0 || bytesConsumed == input.Length))
                    {
                        return AwaitMore(input.Slice(bytesConsumed), isFinalBlock);
                    }

                    if (AfterAuthentication(auth, output) is ClientEvent authEvent)
                    {
                        return authEvent;
                    }

                    break;

                case ClientEngineState.AwaitingReply:
                case ClientEngineState.AwaitingSecondReply:
                    status = Socks5Reply.TryParse(rest, out Socks5Reply reply, out used, out error);
                    if (status == OperationStatus.NeedMoreData)
                    {
                        return AwaitMore(rest, isFinalBlock);
                    }

                    if (status == OperationStatus.InvalidData)
                    {
                        // Tor answers a failed RESOLVE or RESOLVE_PTR with ATYP 0: a refusal carries no address, so
                        // its REP is still the answer.
                        if (error == ParseError.UnknownAddressType && rest[1] != (byte)ReplyCode.Succeeded)
                        {
                            ReplyCode = (ReplyCode)rest[1];
                            return Fail(HandshakeFailure.RequestRejected, ParseError.None);
                        }

                        return Fail(HandshakeFailure.MalformedMessage, error);
                    }

                    bytesConsumed += used;
                    ReplyCode = reply.ReplyCode;
                    bool first = State == ClientEngineState.AwaitingReply && _command == Command.Bind && reply.ReplyCode == ReplyCode.Succeeded;
                    if (first)
                    {
                        rest.Slice(0, used).CopyTo(_firstReply);
                        _firstReplyLength = used;
                        State = ClientEngineState.AwaitingSecondReply;
                        return ClientEvent.FirstReplyReceived;
                    }

                    rest.Slice(0, used).CopyTo(_finalReply);
                    _finalReplyLength = used;
                    if (reply.ReplyCode != ReplyCode.Succeeded)
                    {
                        return Fail(HandshakeFailure.RequestRejected, ParseError.None);
                    }

                    State = ClientEngineState.Established;
                    return ClientEvent.Established;

                default:
                    ThrowHelper.ThrowInvalidOperation(State switch
                    {
                        ClientEngineState.NotStarted => "Call Start first: it writes the greeting.",
                        ClientEngineState.Established => "The handshake is over: the bytes belong to the tunnel.",
                        _ => "The handshake failed: the connection must close.",
                    });
                    return default;
            }
        }
    }

    private ClientEvent? StartMethod(AuthenticationMethod method, IBufferWriter<byte> output)
    {
        if (method == AuthenticationMethod.NoAcceptableMethods)
        {
            return Fail(HandshakeFailure.NoAcceptableMethod, ParseError.None);
        }

        if (method == AuthenticationMethod.NoAuthenticationRequired && _offerNoAuthentication)
        {
            return AfterAuthentication(AuthenticatorResult.Succeeded, output);
        }

        for (int i = 0; i < _authenticators.Count; i++)
        {
            if (_authenticators[i].Method == method)
            {
                _authenticator = _authenticators[i];
                State = ClientEngineState.Authenticating;
                return AfterAuthentication(_authenticator.Start(output), output);
            }
        }

        return Fail(HandshakeFailure.UnexpectedMethod, ParseError.None);
    }

    // After a sub-negotiation step: wait, fail, or send the request. Returns null to keep processing input.
    private ClientEvent? AfterAuthentication(AuthenticatorResult status, IBufferWriter<byte> output)
    {
        switch (status)
        {
            case AuthenticatorResult.NeedMoreData:
                // Offer the rest of the input to the method (it is usually empty: the server waits for the client).
                State = ClientEngineState.Authenticating;
                return null;
            case AuthenticatorResult.Failed:
                return Fail(HandshakeFailure.AuthenticationFailed, ParseError.None);
            default:
                Socks5Request.Write(output, _command, Destination);
                State = ClientEngineState.AwaitingReply;
                return null;
        }
    }

    private Socks5EndPoint GetReplyAddress(byte[] reply, int length)
    {
        if (length == 0)
        {
            ThrowHelper.ThrowInvalidOperation("That reply has not arrived.");
        }

        Socks5Reply.TryParse(reply.AsSpan(0, length), out Socks5Reply parsed, out _, out _);
        return parsed.BoundAddress;
    }

    // Where a message is incomplete: wait for more, unless no more will come or the engine's limit is reached.
    private ClientEvent AwaitMore(ReadOnlySpan<byte> rest, bool isFinalBlock)
    {
        if (rest.Length > 0 && rest.Length >= MaxMessageLength)
        {
            return Fail(HandshakeFailure.MessageTooLong, ParseError.None);
        }

        if (!isFinalBlock)
        {
            return ClientEvent.NeedMoreData;
        }

        // The parser checked VER already; a reply cut short after REP still says what the server answered.
        if (State is ClientEngineState.AwaitingReply or ClientEngineState.AwaitingSecondReply && rest.Length >= 2)
        {
            ReplyCode = (ReplyCode)rest[1];
        }

        return Fail(HandshakeFailure.ConnectionClosed, ParseError.None);
    }

    private ClientEvent Fail(HandshakeFailure failure, ParseError error)
    {
        Failure = failure;
        ParseError = error;
        FailedIn = State;
        State = ClientEngineState.Closed;
        return ClientEvent.MustClose;
    }
}
