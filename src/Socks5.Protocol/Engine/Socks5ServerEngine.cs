using System;
using System.Buffers;
using System.Collections.Generic;
using Socks5.Protocol.Internal;
using Socks5.Protocol.Wire;

namespace Socks5.Protocol.Engine;

/// <summary>
/// The server side of the SOCKS5 handshake as a sans-IO state machine: it takes the bytes that arrived, writes the bytes to
/// send, and stops where the host must decide something. It owns no socket, stream, timer or thread.
/// </summary>
/// <remarks>
/// <para>
/// Drive it like this: call <see cref="Process"/> with every byte received and not yet consumed; keep the bytes past
/// <c>bytesConsumed</c> (they are offered again next time, with whatever arrives after them); send what was written to
/// the output; then act on the returned <see cref="ServerEvent"/>. <see cref="ServerEvent.CredentialsReceived"/> is
/// answered with <see cref="AcceptCredentials"/>, <see cref="ServerEvent.RequestReceived"/> and
/// <see cref="ServerEvent.SecondReplyRequired"/> with <see cref="Reply(ReplyCode, Socks5EndPoint, IBufferWriter{byte})"/>.
/// After <see cref="ServerEvent.Established"/>, every byte not consumed belongs to the tunnel: a client that pipelines its
/// greeting, request and first data in one segment loses nothing. When the client closes its side, call
/// <see cref="Process"/> once more with what is left and <c>isFinalBlock</c> set: an unfinished handshake then fails with
/// <see cref="HandshakeFailure.ConnectionClosed"/>.
/// </para>
/// <para>
/// Two kinds of failure are kept apart: a client that breaks the protocol makes the engine write the reply it is owed
/// (if any) and return <see cref="ServerEvent.MustClose"/>; a host that calls a method in the wrong state gets an
/// <see cref="InvalidOperationException"/>.
/// </para>
/// <para>
/// The engine allocates one 513-byte buffer when it is created, to keep the credentials and the request while the host
/// decides; <see cref="Reset"/> makes it ready for another connection without allocating.
/// </para>
/// </remarks>
public sealed class Socks5ServerEngine
{
    private static readonly byte[] s_unspecifiedIPv4 = new byte[4];

    private readonly Socks5ServerEngineOptions _options;

    // The message the host is deciding on (an RFC 1929 request or a SOCKS request), copied out of the input so that the
    // host may release its buffer while it decides.
    private readonly byte[] _message = new byte[UsernamePasswordRequest.MaxLength];
    private int _messageLength;
    // What the kept request says, read once when it arrived: the Request property is a view over _message built from
    // these, and Reply needs only the command.
    private Command _command;
    private AddressType _addressType;
    private int _addressOffset;
    private int _addressLength;
    private ushort _port;
    private ISocks5ServerAuthenticator? _authenticator;

    /// <summary>Creates an engine for one connection.</summary>
    /// <param name="options">What the server accepts; shared between engines.</param>
    public Socks5ServerEngine(Socks5ServerEngineOptions options)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
    }

    /// <summary>Where the handshake stands.</summary>
    public ServerEngineState State { get; private set; }

    /// <summary>The method selected for this connection; <see cref="AuthenticationMethod.NoAcceptableMethods"/> until then.</summary>
    public AuthenticationMethod SelectedMethod { get; private set; } = AuthenticationMethod.NoAcceptableMethods;

    /// <summary>The GSSAPI or private-method authenticator running or done for this connection, if any.</summary>
    public ISocks5ServerAuthenticator? Authenticator => _authenticator;

    /// <summary>Why the engine is closed; <see cref="HandshakeFailure.None"/> otherwise.</summary>
    public HandshakeFailure Failure { get; private set; }

    /// <summary>With <see cref="HandshakeFailure.MalformedMessage"/>: which field broke which rule.</summary>
    public ParseError ParseError { get; private set; }

    /// <summary>The reply code sent last (the request's outcome); <see cref="ReplyCode.Succeeded"/> before any reply.</summary>
    public ReplyCode ReplyCode { get; private set; }

    /// <summary>
    /// UNAME of the RFC 1929 request, from <see cref="ServerEvent.CredentialsReceived"/> until the next call.
    /// </summary>
    /// <exception cref="InvalidOperationException">No credentials are waiting for a decision.</exception>
    public ReadOnlySpan<byte> UserName => GetCredentials().UserName;

    /// <summary>
    /// PASSWD of the RFC 1929 request, from <see cref="ServerEvent.CredentialsReceived"/> until the next call.
    /// </summary>
    /// <exception cref="InvalidOperationException">No credentials are waiting for a decision.</exception>
    public ReadOnlySpan<byte> Password => GetCredentials().Password;

    /// <summary>
    /// The request, from <see cref="ServerEvent.RequestReceived"/> until the engine is reset (it stays readable in the
    /// tunnel, for logging).
    /// </summary>
    /// <exception cref="InvalidOperationException">No request has been received.</exception>
    public Socks5Request Request
    {
        get
        {
            if (State is not (ServerEngineState.RequestDecisionPending or ServerEngineState.SecondReplyPending or ServerEngineState.Established)
                && !(State == ServerEngineState.Closed && Failure == HandshakeFailure.RequestRejected))
            {
                ThrowHelper.ThrowInvalidOperation("No request has been received.");
            }

            return new Socks5Request(_command, new Socks5EndPoint(_addressType, _message.AsSpan(_addressOffset, _addressLength), _port));
        }
    }

    /// <summary>The largest number of unconsumed bytes the engine can need at this stage before it decides.</summary>
    /// <remarks>
    /// The parsers decide as soon as a whole message could have arrived; for a running authenticator, whose messages the
    /// engine does not parse, <see cref="Process"/> fails with <see cref="HandshakeFailure.MessageTooLong"/> when this many
    /// bytes still do not make a message. Either way a host never needs to buffer more.
    /// </remarks>
    public int MaxMessageLength => State switch
    {
        ServerEngineState.AwaitingGreeting => Socks5Greeting.MaxLength,
        ServerEngineState.AwaitingCredentials => UsernamePasswordRequest.MaxLength,
        ServerEngineState.AwaitingRequest => Socks5Request.MaxLength,
        ServerEngineState.Authenticating => GssapiMessage.HeaderLength + GssapiMessage.MaxTokenLength,
        _ => 0,
    };

    /// <summary>Makes the engine ready for a new connection, keeping its buffer and options.</summary>
    public void Reset()
    {
        State = ServerEngineState.AwaitingGreeting;
        SelectedMethod = AuthenticationMethod.NoAcceptableMethods;
        Failure = HandshakeFailure.None;
        ParseError = ParseError.None;
        ReplyCode = ReplyCode.Succeeded;
        _authenticator = null;
        _messageLength = 0;
    }

    /// <summary>
    /// Takes the bytes received and not yet consumed, handles every complete message in them, and writes the answers.
    /// </summary>
    /// <param name="input">The unconsumed bytes, oldest first.</param>
    /// <param name="output">Where to write the bytes to send.</param>
    /// <param name="bytesConsumed">How many bytes of <paramref name="input"/> were used; the caller keeps the rest.</param>
    /// <param name="isFinalBlock">
    /// True when the client has closed its side: no byte will follow <paramref name="input"/>. Where the engine would wait
    /// for more, it fails with <see cref="HandshakeFailure.ConnectionClosed"/> instead (and writes nothing: no one is left
    /// to read it). Complete messages in <paramref name="input"/> are handled as usual.
    /// </param>
    /// <returns>What happened, and so what the host must do next.</returns>
    /// <exception cref="InvalidOperationException">A decision is pending, or the handshake is already over.</exception>
    public ServerEvent Process(ReadOnlySpan<byte> input, IBufferWriter<byte> output, out int bytesConsumed, bool isFinalBlock = false)
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
                case ServerEngineState.AwaitingGreeting:
                    status = Socks5Greeting.TryParse(rest, out Socks5Greeting greeting, out used, out error);
                    if (status == OperationStatus.NeedMoreData)
                    {
                        return AwaitMore(rest, isFinalBlock);
                    }

                    if (status == OperationStatus.InvalidData)
                    {
                        // A wrong version byte is not SOCKS5 at all: close without a word. NMETHODS 0 offers nothing.
                        if (error != ParseError.UnsupportedVersion)
                        {
                            Socks5MethodSelection.Write(output, AuthenticationMethod.NoAcceptableMethods);
                        }

                        return Fail(HandshakeFailure.MalformedMessage, error);
                    }

                    bytesConsumed += used;
                    if (SelectMethod(greeting, output) is ServerEvent selectEvent)
                    {
                        return selectEvent;
                    }

                    break;

                case ServerEngineState.AwaitingCredentials:
                    status = UsernamePasswordRequest.TryParse(rest, out _, out used, out error);
                    if (status == OperationStatus.NeedMoreData)
                    {
                        return AwaitMore(rest, isFinalBlock);
                    }

                    if (status == OperationStatus.InvalidData)
                    {
                        // RFC 1929: any non-zero STATUS is a failure, after which the server closes.
                        UsernamePasswordReply.Write(output, UsernamePasswordReply.Failure);
                        return Fail(HandshakeFailure.MalformedMessage, error);
                    }

                    Keep(rest.Slice(0, used));
                    bytesConsumed += used;
                    State = ServerEngineState.CredentialsDecisionPending;
                    return ServerEvent.CredentialsReceived;

                case ServerEngineState.Authenticating:
                    AuthenticatorResult auth = _authenticator!.Process(rest, output, out used);
                    if ((uint)used > (uint)rest.Length)
                    {
                        ThrowHelper.ThrowInvalidOperation("The authenticator consumed more bytes than it was given.");
                    }

                    bytesConsumed += used;
                    if (auth == AuthenticatorResult.NeedMoreData)
                    {
                        // A method may handle one message per call: while it consumes, offer it the rest, which
                        // can hold the next message already (a GSSAPI client may send its last token and its
                        // protection level together).
                        if (used == 0 || bytesConsumed == input.Length)
                        {
                            return AwaitMore(input.Slice(bytesConsumed), isFinalBlock);
                        }

                        break;
                    }

                    if (auth == AuthenticatorResult.Failed)
                    {
                        return Fail(HandshakeFailure.AuthenticationFailed, ParseError.None);
                    }

                    State = ServerEngineState.AwaitingRequest;
                    break;

                case ServerEngineState.AwaitingRequest:
                    status = Socks5Request.TryParse(rest, out Socks5Request request, out used, out error);
                    if (status == OperationStatus.NeedMoreData)
                    {
                        return AwaitMore(rest, isFinalBlock);
                    }

                    if (status == OperationStatus.InvalidData)
                    {
                        if (error != ParseError.UnsupportedVersion)
                        {
                            WriteReply(error.ToReplyCode(), default, output);
                        }

                        return Fail(HandshakeFailure.MalformedMessage, error);
                    }

                    if (!_options.AllowUnknownCommands && request.Command is not (Command.Connect or Command.Bind or Command.UdpAssociate))
                    {
                        WriteReply(ReplyCode.CommandNotSupported, default, output);
                        return Fail(HandshakeFailure.CommandNotSupported, ParseError.None);
                    }

                    Keep(rest.Slice(0, used));
                    _command = request.Command;
                    _addressType = request.Destination.AddressType;
                    _addressLength = request.Destination.Address.Length;
                    _addressOffset = used - 2 - _addressLength; // the address ends where DST.PORT, the last two bytes, starts
                    _port = request.Destination.Port;
                    bytesConsumed += used;
                    State = ServerEngineState.RequestDecisionPending;
                    return ServerEvent.RequestReceived;

                default:
                    ThrowHelper.ThrowInvalidOperation(State switch
                    {
                        ServerEngineState.Established => "The handshake is over: the bytes belong to the tunnel.",
                        ServerEngineState.Closed => "The handshake failed: the connection must close.",
                        _ => $"The engine is waiting for the host's decision ({State}).",
                    });
                    return default;
            }
        }
    }

    /// <summary>Answers <see cref="ServerEvent.CredentialsReceived"/>: writes the RFC 1929 status.</summary>
    /// <param name="accepted">Whether the user name and password are valid.</param>
    /// <param name="output">Where to write the status reply.</param>
    /// <returns><see cref="ServerEvent.NeedMoreData"/> (call <see cref="Process"/> with any bytes left) or <see cref="ServerEvent.MustClose"/>.</returns>
    /// <exception cref="InvalidOperationException">No credentials are waiting for a decision.</exception>
    public ServerEvent AcceptCredentials(bool accepted, IBufferWriter<byte> output)
    {
        ExpectState(ServerEngineState.CredentialsDecisionPending, "No credentials are waiting for a decision.");
        UsernamePasswordReply.Write(output, accepted ? UsernamePasswordReply.Success : UsernamePasswordReply.Failure);
        _messageLength = 0;
        if (!accepted)
        {
            return Fail(HandshakeFailure.AuthenticationFailed, ParseError.None);
        }

        State = ServerEngineState.AwaitingRequest;
        return ServerEvent.NeedMoreData;
    }

    /// <summary>
    /// Answers <see cref="ServerEvent.RequestReceived"/> or <see cref="ServerEvent.SecondReplyRequired"/> with a reply.
    /// </summary>
    /// <param name="replyCode">The outcome; anything but <see cref="ReplyCode.Succeeded"/> ends the handshake.</param>
    /// <param name="boundAddress">
    /// BND.ADDR and BND.PORT: the server's address for the outgoing connection (CONNECT), the listening address (BIND's first
    /// reply), the peer's address (BIND's second), or the UDP relay's address (UDP ASSOCIATE). A <c>default</c> value sends
    /// 0.0.0.0:0.
    /// </param>
    /// <param name="output">Where to write the reply.</param>
    /// <returns>
    /// <see cref="ServerEvent.Established"/>, <see cref="ServerEvent.SecondReplyRequired"/> after BIND's first success reply,
    /// or <see cref="ServerEvent.MustClose"/> after a failure reply.
    /// </returns>
    /// <exception cref="InvalidOperationException">No request is waiting for a reply.</exception>
    public ServerEvent Reply(ReplyCode replyCode, Socks5EndPoint boundAddress, IBufferWriter<byte> output)
    {
        if (State is not (ServerEngineState.RequestDecisionPending or ServerEngineState.SecondReplyPending))
        {
            ThrowHelper.ThrowInvalidOperation(State == ServerEngineState.Established
                ? "The final reply was sent already."
                : "No request is waiting for a reply.");
        }

        WriteReply(replyCode, boundAddress, output);
        ReplyCode = replyCode;
        if (replyCode != ReplyCode.Succeeded)
        {
            return Fail(HandshakeFailure.RequestRejected, ParseError.None);
        }

        if (State == ServerEngineState.RequestDecisionPending && _command == Command.Bind)
        {
            State = ServerEngineState.SecondReplyPending;
            return ServerEvent.SecondReplyRequired;
        }

        State = ServerEngineState.Established;
        return ServerEvent.Established;
    }

    /// <summary>Answers with a reply whose bound address is 0.0.0.0:0 (usual for failures).</summary>
    /// <param name="replyCode">The outcome.</param>
    /// <param name="output">Where to write the reply.</param>
    /// <returns>As <see cref="Reply(ReplyCode, Socks5EndPoint, IBufferWriter{byte})"/>.</returns>
    /// <exception cref="InvalidOperationException">No request is waiting for a reply.</exception>
    public ServerEvent Reply(ReplyCode replyCode, IBufferWriter<byte> output) => Reply(replyCode, default, output);

    private ServerEvent? SelectMethod(Socks5Greeting greeting, IBufferWriter<byte> output)
    {
        IList<AuthenticationMethod> accepted = _options.Methods;
        for (int i = 0; i < accepted.Count; i++)
        {
            AuthenticationMethod method = accepted[i];
            if (method == AuthenticationMethod.NoAcceptableMethods || !greeting.Offers(method))
            {
                continue;
            }

            ServerEngineState next;
            switch (method)
            {
                case AuthenticationMethod.NoAuthenticationRequired:
                    next = ServerEngineState.AwaitingRequest;
                    break;
                case AuthenticationMethod.UsernamePassword:
                    next = ServerEngineState.AwaitingCredentials;
                    break;
                default:
                    _authenticator = _options.AuthenticatorFactory?.Invoke(method);
                    if (_authenticator is null)
                    {
                        continue;
                    }

                    next = ServerEngineState.Authenticating;
                    break;
            }

            Socks5MethodSelection.Write(output, method);
            SelectedMethod = method;
            State = next;
            return null;
        }

        Socks5MethodSelection.Write(output, AuthenticationMethod.NoAcceptableMethods);
        return Fail(HandshakeFailure.NoAcceptableMethod, ParseError.None);
    }

    private static void WriteReply(ReplyCode replyCode, Socks5EndPoint boundAddress, IBufferWriter<byte> output)
    {
        if (boundAddress.AddressType == 0)
        {
            boundAddress = new Socks5EndPoint(AddressType.IPv4, s_unspecifiedIPv4, 0);
        }

        Socks5Reply.Write(output, replyCode, boundAddress);
    }

    private UsernamePasswordRequest GetCredentials()
    {
        ExpectState(ServerEngineState.CredentialsDecisionPending, "No credentials are waiting for a decision.");
        UsernamePasswordRequest.TryParse(_message.AsSpan(0, _messageLength), out UsernamePasswordRequest credentials, out _, out _);
        return credentials;
    }

    private void Keep(ReadOnlySpan<byte> message)
    {
        message.CopyTo(_message);
        _messageLength = message.Length;
    }

    private void ExpectState(ServerEngineState expected, string message)
    {
        if (State != expected)
        {
            ThrowHelper.ThrowInvalidOperation(message);
        }
    }

    // Where a message is incomplete: wait for more, unless no more will come or the engine's limit is reached.
    private ServerEvent AwaitMore(ReadOnlySpan<byte> rest, bool isFinalBlock)
    {
        if (rest.Length > 0 && rest.Length >= MaxMessageLength)
        {
            return Fail(HandshakeFailure.MessageTooLong, ParseError.None);
        }

        return isFinalBlock ? Fail(HandshakeFailure.ConnectionClosed, ParseError.None) : ServerEvent.NeedMoreData;
    }

    private ServerEvent Fail(HandshakeFailure failure, ParseError error)
    {
        Failure = failure;
        ParseError = error;
        State = ServerEngineState.Closed;
        return ServerEvent.MustClose;
    }
}
