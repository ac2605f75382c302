// The server side of SOCKS4 ("SOCKS: A protocol for TCP proxy across firewalls") and SOCKS4a: one request, one reply.
//
//   client -> server   | VN 4 | CD | DSTPORT | DSTIP | USERID | NUL | [HOSTNAME | NUL]   (see Socks4Request)
//   server -> client   | VN 0 | CD | DSTPORT | DSTIP |                                   (see Socks4Reply)
//
//   CD of the reply: 90 request granted, 91 rejected or failed. DSTPORT and DSTIP of a CONNECT reply are ignored by
//   the client: zeros; a RESOLVE answer (Tor) carries the IPv4 address found. SOCKS4 has no authentication: the USERID
//   is the only credential, which a host that requires credentials checks as a user name with an empty password.
using System;
using System.Buffers;
using Socks5.Protocol.Internal;
using Socks5.Protocol.Wire;

namespace Socks5.Protocol.Engine;

/// <summary>
/// The server side of a SOCKS4 or SOCKS4a exchange as a sans-IO state machine, driven as <see cref="Socks5ServerEngine"/>
/// is: <see cref="Process"/> with the bytes received, then the host's answer to the event it returned.
/// </summary>
/// <remarks>
/// <para>
/// <see cref="ServerEvent.CredentialsReceived"/> (only when credentials are required) is answered with
/// <see cref="AcceptCredentials"/>: <see cref="UserName"/> is the USERID and <see cref="Password"/> is empty.
/// <see cref="ServerEvent.RequestReceived"/> is answered with <see cref="Reply(ReplyCode, Socks5EndPoint, IBufferWriter{byte})"/>,
/// which maps the SOCKS5 reply code the host decided on to 90 or 91. Every command is handed to the host (BIND, Tor's
/// RESOLVE, another byte): which ones it serves is its choice. After <see cref="ServerEvent.Established"/> every byte
/// not consumed belongs to the tunnel.
/// </para>
/// <para>
/// A malformed request is answered 91 and ends in <see cref="ServerEvent.MustClose"/> (a first byte that is not 4 is
/// not SOCKS4: nothing is written). The engine allocates one buffer when it is created, for the request while the host
/// decides; <see cref="Reset"/> makes it ready for another connection without allocating.
/// </para>
/// </remarks>
public sealed class Socks4ServerEngine : IServerEngine
{
    private static readonly byte[] s_zeros = new byte[4];

    private readonly bool _requireCredentials;

    // The request, copied out of the input so that the host may release its buffer while it decides.
    private readonly byte[] _message = new byte[Socks4Request.MaxLength];
    private Command _command;
    private AddressType _addressType;
    private int _addressOffset;
    private int _addressLength;
    private ushort _port;
    private int _userIdLength;

    /// <summary>Creates an engine for one connection.</summary>
    /// <param name="requireCredentials">
    /// True when the host admits only known users: the USERID is then handed to it with
    /// <see cref="ServerEvent.CredentialsReceived"/> before the request.
    /// </param>
    public Socks4ServerEngine(bool requireCredentials = false)
    {
        _requireCredentials = requireCredentials;
        Reset();
    }

    /// <summary>Where the exchange stands: <see cref="ServerEngineState.AwaitingRequest"/> at first.</summary>
    public ServerEngineState State { get; private set; }

    /// <summary>Why the engine is closed; <see cref="HandshakeFailure.None"/> otherwise.</summary>
    public HandshakeFailure Failure { get; private set; }

    /// <summary>With <see cref="HandshakeFailure.MalformedMessage"/> or <see cref="HandshakeFailure.MessageTooLong"/>: which field broke which rule.</summary>
    public ParseError ParseError { get; private set; }

    /// <summary>The reply code sent last: 90 or 91; 0 before any reply.</summary>
    public Socks4ReplyCode ReplyCode { get; private set; }

    /// <summary>The longest request the engine may need to see before it decides: <see cref="Socks4Request.MaxLength"/> while waiting for it, else 0.</summary>
    public int MaxMessageLength => State == ServerEngineState.AwaitingRequest ? Socks4Request.MaxLength : 0;

    /// <summary>CD of the request, from <see cref="ServerEvent.CredentialsReceived"/> or <see cref="ServerEvent.RequestReceived"/> until the engine is reset.</summary>
    /// <exception cref="InvalidOperationException">No request has been received.</exception>
    public Command Command
    {
        get
        {
            ExpectRequest();
            return _command;
        }
    }

    /// <summary>
    /// The destination: DSTIP and DSTPORT (SOCKS4), or the host name and DSTPORT (SOCKS4a), over the engine's own buffer,
    /// from <see cref="ServerEvent.CredentialsReceived"/> or <see cref="ServerEvent.RequestReceived"/> until the engine is reset.
    /// </summary>
    /// <exception cref="InvalidOperationException">No request has been received.</exception>
    public Socks5EndPoint Destination
    {
        get
        {
            ExpectRequest();
            return new Socks5EndPoint(_addressType, _message.AsSpan(_addressOffset, _addressLength), _port);
        }
    }

    /// <summary>True when the request named its destination by host name (SOCKS4a).</summary>
    /// <exception cref="InvalidOperationException">No request has been received.</exception>
    public bool IsSocks4a
    {
        get
        {
            ExpectRequest();
            return _addressType == AddressType.DomainName;
        }
    }

    /// <summary>USERID of the request, without its NUL (0 to 255 bytes), until the engine is reset.</summary>
    /// <exception cref="InvalidOperationException">No request has been received.</exception>
    public ReadOnlySpan<byte> UserId
    {
        get
        {
            ExpectRequest();
            return _message.AsSpan(8, _userIdLength);
        }
    }

    /// <summary>The user name to check on <see cref="ServerEvent.CredentialsReceived"/>: the USERID.</summary>
    /// <exception cref="InvalidOperationException">No credentials are waiting for a decision.</exception>
    public ReadOnlySpan<byte> UserName
    {
        get
        {
            ServerEngines.ExpectState(State, ServerEngineState.CredentialsDecisionPending, "No credentials are waiting for a decision.");
            return _message.AsSpan(8, _userIdLength);
        }
    }

    /// <summary>The password to check on <see cref="ServerEvent.CredentialsReceived"/>: always empty, SOCKS4 has none.</summary>
    /// <exception cref="InvalidOperationException">No credentials are waiting for a decision.</exception>
    public ReadOnlySpan<byte> Password
    {
        get
        {
            ServerEngines.ExpectState(State, ServerEngineState.CredentialsDecisionPending, "No credentials are waiting for a decision.");
            return default;
        }
    }

    /// <summary>Makes the engine ready for a new connection, keeping its buffer.</summary>
    public void Reset()
    {
        State = ServerEngineState.AwaitingRequest;
        Failure = HandshakeFailure.None;
        ParseError = ParseError.None;
        ReplyCode = 0;
    }

    /// <summary>Takes the bytes received and not yet consumed and handles the request when it is complete.</summary>
    /// <param name="input">The unconsumed bytes, oldest first.</param>
    /// <param name="output">Where to write the bytes to send.</param>
    /// <param name="bytesConsumed">How many bytes of <paramref name="input"/> were used (the request's, once whole); the caller keeps the rest.</param>
    /// <param name="isFinalBlock">
    /// True when the client has closed its side: an unfinished request then fails with
    /// <see cref="HandshakeFailure.ConnectionClosed"/> (nothing is written).
    /// </param>
    /// <returns><see cref="ServerEvent.NeedMoreData"/>, <see cref="ServerEvent.CredentialsReceived"/>, <see cref="ServerEvent.RequestReceived"/> or <see cref="ServerEvent.MustClose"/>.</returns>
    /// <exception cref="InvalidOperationException">A decision is pending, or the exchange is already over.</exception>
    public ServerEvent Process(ReadOnlySpan<byte> input, IBufferWriter<byte> output, out int bytesConsumed, bool isFinalBlock = false)
    {
        ServerEngines.ExpectInput(State, output);
        bytesConsumed = 0;
        OperationStatus status = Socks4Request.TryParse(input, out Socks4Request request, out int used, out ParseError error);
        if (status == OperationStatus.NeedMoreData)
        {
            return isFinalBlock ? Fail(HandshakeFailure.ConnectionClosed, ParseError.None) : ServerEvent.NeedMoreData;
        }

        if (status == OperationStatus.InvalidData)
        {
            // A first byte other than 4 is not SOCKS4 at all: close without a word. Otherwise the client is owed 91.
            if (error != ParseError.UnsupportedVersion)
            {
                WriteReply(Socks4ReplyCode.RequestRejectedOrFailed, default, output);
            }

            return Fail(error is ParseError.UserIdTooLong or ParseError.DomainNameTooLong ? HandshakeFailure.MessageTooLong : HandshakeFailure.MalformedMessage, error);
        }

        input.Slice(0, used).CopyTo(_message);
        _command = request.Command;
        _userIdLength = request.UserId.Length;
        _addressType = request.Destination.AddressType;
        _addressLength = request.Destination.Address.Length;
        // DSTIP is bytes 4 to 7; a SOCKS4a name follows the USERID's NUL.
        _addressOffset = request.IsSocks4a ? 8 + _userIdLength + 1 : 4;
        _port = request.Destination.Port;
        bytesConsumed = used;
        State = _requireCredentials ? ServerEngineState.CredentialsDecisionPending : ServerEngineState.RequestDecisionPending;
        return _requireCredentials ? ServerEvent.CredentialsReceived : ServerEvent.RequestReceived;
    }

    /// <summary>Answers <see cref="ServerEvent.CredentialsReceived"/>.</summary>
    /// <param name="accepted">Whether the USERID is a user the host admits.</param>
    /// <param name="output">Where a refusal's 91 is written.</param>
    /// <returns>
    /// <see cref="ServerEvent.RequestReceived"/> (answer it with <c>Reply</c>), or <see cref="ServerEvent.MustClose"/>
    /// after 91 with <see cref="HandshakeFailure.AuthenticationFailed"/>.
    /// </returns>
    /// <exception cref="InvalidOperationException">No credentials are waiting for a decision.</exception>
    public ServerEvent AcceptCredentials(bool accepted, IBufferWriter<byte> output)
    {
        ServerEngines.ExpectState(State, ServerEngineState.CredentialsDecisionPending, "No credentials are waiting for a decision.");
        if (!accepted)
        {
            WriteReply(Socks4ReplyCode.RequestRejectedOrFailed, default, output);
            return Fail(HandshakeFailure.AuthenticationFailed, ParseError.None);
        }

        State = ServerEngineState.RequestDecisionPending;
        return ServerEvent.RequestReceived;
    }

    /// <summary>
    /// Answers <see cref="ServerEvent.RequestReceived"/>: 90 for <see cref="ReplyCode.Succeeded"/>, 91 for any other code.
    /// </summary>
    /// <param name="replyCode">The outcome, as the SOCKS5 reply the host would send.</param>
    /// <param name="boundAddress">
    /// An IPv4 address for DSTIP (a RESOLVE answer); anything else (<c>default</c>, a name, IPv6) sends 0.0.0.0. DSTPORT is 0.
    /// </param>
    /// <param name="output">Where to write the reply.</param>
    /// <returns><see cref="ServerEvent.Established"/>, or <see cref="ServerEvent.MustClose"/> after 91 with <see cref="HandshakeFailure.RequestRejected"/>.</returns>
    /// <exception cref="InvalidOperationException">No request is waiting for a reply.</exception>
    public ServerEvent Reply(ReplyCode replyCode, Socks5EndPoint boundAddress, IBufferWriter<byte> output)
    {
        ServerEngines.ExpectState(State, ServerEngineState.RequestDecisionPending, "No request is waiting for a reply.");
        bool granted = replyCode == Wire.ReplyCode.Succeeded;
        WriteReply(granted ? Socks4ReplyCode.RequestGranted : Socks4ReplyCode.RequestRejectedOrFailed, boundAddress, output);
        if (!granted)
        {
            return Fail(HandshakeFailure.RequestRejected, ParseError.None);
        }

        State = ServerEngineState.Established;
        return ServerEvent.Established;
    }

    /// <summary>Answers <see cref="ServerEvent.RequestReceived"/> with DSTIP 0.0.0.0.</summary>
    /// <param name="replyCode">The outcome, as the SOCKS5 reply the host would send.</param>
    /// <param name="output">Where to write the reply.</param>
    /// <returns>As <see cref="Reply(ReplyCode, Socks5EndPoint, IBufferWriter{byte})"/>.</returns>
    /// <exception cref="InvalidOperationException">No request is waiting for a reply.</exception>
    public ServerEvent Reply(ReplyCode replyCode, IBufferWriter<byte> output) => Reply(replyCode, default, output);

    private void WriteReply(Socks4ReplyCode code, Socks5EndPoint boundAddress, IBufferWriter<byte> output)
    {
        ReadOnlySpan<byte> address = boundAddress.AddressType == AddressType.IPv4 ? boundAddress.Address : s_zeros;
        Socks4Reply.Write(output, code, new Socks5EndPoint(AddressType.IPv4, address, 0));
        ReplyCode = code;
    }

    private void ExpectRequest()
    {
        if (State is not (ServerEngineState.CredentialsDecisionPending or ServerEngineState.RequestDecisionPending or ServerEngineState.Established)
            && !(State == ServerEngineState.Closed && Failure is HandshakeFailure.RequestRejected or HandshakeFailure.AuthenticationFailed))
        {
            ThrowHelper.ThrowInvalidOperation("No request has been received.");
        }
    }

    private ServerEvent Fail(HandshakeFailure failure, ParseError error)
    {
        Failure = failure;
        ParseError = error;
        State = ServerEngineState.Closed;
        return ServerEvent.MustClose;
    }
}
