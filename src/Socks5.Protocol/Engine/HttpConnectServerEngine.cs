// The server side of HTTP CONNECT (RFC 9110 §9.3.6, RFC 9112) on a proxy that only tunnels:
//
//   client -> server   CONNECT host:port HTTP/1.1 CRLF Host: host:port CRLF [Proxy-Authorization: Basic ...] CRLF CRLF
//   server -> client   HTTP/1.1 200 Connection established CRLF CRLF, then the tunnel
//
//   Answers (see HttpConnectResponse):
//     200  the tunnel is open                       403  the server's rules refuse the destination
//     400  a malformed head                         405  a method other than CONNECT (Allow: CONNECT)
//     407  credentials missing or wrong (Proxy-Authenticate: Basic realm="..."; RFC 9110 §11.7.1, RFC 7617)
//     431  a head over the limit (RFC 6585 §5)      502  the destination failed
//     504  the connect timed out (or TTL expired)   505  HTTP/2 or later on an HTTP/1.x port
//
//   After a 407 the connection stays open: the client may send another head with credentials (RFC 9110 §15.5.8).
using System;
using System.Buffers;
using System.Buffers.Text;
using Socks5.Protocol.Internal;
using Socks5.Protocol.Wire;

namespace Socks5.Protocol.Engine;

/// <summary>
/// The server side of an HTTP CONNECT exchange as a sans-IO state machine, driven as <see cref="Socks5ServerEngine"/> is:
/// <see cref="Process"/> with the bytes received, then the host's answer to the event it returned.
/// </summary>
/// <remarks>
/// <para>
/// <see cref="ServerEvent.CredentialsReceived"/> (only when credentials are required and the head carries Basic
/// credentials) is answered with <see cref="AcceptCredentials"/>: accepted goes on to
/// <see cref="ServerEvent.RequestReceived"/>, refused writes 407 and waits for the next head on the same connection.
/// A head without usable credentials gets the 407 from the engine itself. <see cref="ServerEvent.RequestReceived"/> is
/// answered with <see cref="Reply(ReplyCode, bool, IBufferWriter{byte})"/>, which maps the SOCKS5 reply code the host
/// decided on to an HTTP status. After <see cref="ServerEvent.Established"/> every byte not consumed belongs to the tunnel.
/// </para>
/// <para>
/// The engine allocates one buffer when it is created, for the destination and the decoded credentials while the host
/// decides; <see cref="Reset"/> makes it ready for another connection without allocating.
/// </para>
/// </remarks>
public sealed class HttpConnectServerEngine : IServerEngine
{
    // The buffer: the address bytes of an IP literal, then a host name, then the decoded user:password.
    private const int IPOffset = 0;
    private const int NameOffset = 16;
    private const int CredentialsOffset = NameOffset + Socks5EndPoint.MaxDomainNameLength;

    // The realm of a server that does not name one: its users are one table, so one realm.
    private static readonly byte[] s_defaultRealm = "proxy"u8.ToArray();

    private readonly bool _requireCredentials;
    private readonly byte[] _realm;
    private readonly int _maxHeadLength;
    private readonly byte[] _buffer;
    private AddressType _addressType;
    private int _addressLength;
    private ushort _port;
    private int _userNameLength;
    private int _passwordLength;

    /// <summary>Creates an engine for one connection.</summary>
    /// <param name="requireCredentials">
    /// True when the host admits only known users: a CONNECT is handed to it only with Basic credentials
    /// (<see cref="ServerEvent.CredentialsReceived"/>), and a head without them is answered 407.
    /// </param>
    /// <param name="realm">The realm of the 407 challenge, printable ASCII; null for <c>proxy</c>.</param>
    /// <param name="maxHeadLength">The largest head accepted, the empty line included (431 past it).</param>
    /// <exception cref="ArgumentException">The realm has a byte outside printable ASCII.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxHeadLength"/> is less than 1.</exception>
    public HttpConnectServerEngine(bool requireCredentials = false, string? realm = null, int maxHeadLength = HttpConnectRequest.DefaultMaxHeadLength)
    {
        if (maxHeadLength < 1)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(maxHeadLength), "The head size limit is at least 1 byte.");
        }

        _requireCredentials = requireCredentials;
        _realm = s_defaultRealm;
        if (realm is not null)
        {
            foreach (char c in realm)
            {
                if (c is < ' ' or > '~')
                {
                    ThrowHelper.ThrowArgument("A realm is written as printable ASCII.", nameof(realm));
                }
            }

            _realm = System.Text.Encoding.ASCII.GetBytes(realm);
        }

        _maxHeadLength = maxHeadLength;
        // The credentials are at most the decoded form of a field value the size of the whole head.
        _buffer = new byte[CredentialsOffset + (requireCredentials ? Base64.GetMaxDecodedFromUtf8Length(maxHeadLength) : 0)];
        Reset();
    }

    /// <summary>Where the exchange stands: <see cref="ServerEngineState.AwaitingRequest"/> while waiting for a head.</summary>
    public ServerEngineState State { get; private set; }

    /// <summary>
    /// Why the engine is closed; <see cref="HandshakeFailure.None"/> otherwise, except after a 407 while the engine waits
    /// for the next head: <see cref="HandshakeFailure.AuthenticationFailed"/> (a client that leaves then failed to
    /// authenticate, and closing there reports that).
    /// </summary>
    public HandshakeFailure Failure { get; private set; }

    /// <summary>With <see cref="HandshakeFailure.MalformedMessage"/> or <see cref="HandshakeFailure.MessageTooLong"/>: which part of the head broke which rule.</summary>
    public ParseError ParseError { get; private set; }

    /// <summary>The HTTP status sent last (407 included); 0 before any.</summary>
    public int StatusCode { get; private set; }

    /// <summary>The largest unconsumed head the engine may need to see before it decides: the head limit while waiting for one, else 0.</summary>
    public int MaxMessageLength => State == ServerEngineState.AwaitingRequest ? _maxHeadLength : 0;

    /// <summary>
    /// The CONNECT target over the engine's own buffer, from <see cref="ServerEvent.CredentialsReceived"/> or
    /// <see cref="ServerEvent.RequestReceived"/> until the engine is reset (or reads the next head after a 407).
    /// </summary>
    /// <exception cref="InvalidOperationException">No CONNECT has been received.</exception>
    public Socks5EndPoint Destination
    {
        get
        {
            if (State is not (ServerEngineState.CredentialsDecisionPending or ServerEngineState.RequestDecisionPending or ServerEngineState.Established)
                && !(State == ServerEngineState.Closed && Failure == HandshakeFailure.RequestRejected))
            {
                ThrowHelper.ThrowInvalidOperation("No CONNECT has been received.");
            }

            int offset = _addressType == AddressType.DomainName ? NameOffset : IPOffset;
            return new Socks5EndPoint(_addressType, _buffer.AsSpan(offset, _addressLength), _port);
        }
    }

    /// <summary>The decoded Basic user-id, from <see cref="ServerEvent.CredentialsReceived"/> until the next call.</summary>
    /// <exception cref="InvalidOperationException">No credentials are waiting for a decision.</exception>
    public ReadOnlySpan<byte> UserName
    {
        get
        {
            ServerEngines.ExpectState(State, ServerEngineState.CredentialsDecisionPending, "No credentials are waiting for a decision.");
            return _buffer.AsSpan(CredentialsOffset, _userNameLength);
        }
    }

    /// <summary>The decoded Basic password, from <see cref="ServerEvent.CredentialsReceived"/> until the next call.</summary>
    /// <exception cref="InvalidOperationException">No credentials are waiting for a decision.</exception>
    public ReadOnlySpan<byte> Password
    {
        get
        {
            ServerEngines.ExpectState(State, ServerEngineState.CredentialsDecisionPending, "No credentials are waiting for a decision.");
            return _buffer.AsSpan(CredentialsOffset + _userNameLength + 1, _passwordLength);
        }
    }

    /// <summary>Makes the engine ready for a new connection, keeping its buffer and settings.</summary>
    public void Reset()
    {
        State = ServerEngineState.AwaitingRequest;
        Failure = HandshakeFailure.None;
        ParseError = ParseError.None;
        StatusCode = 0;
    }

    /// <summary>Takes the bytes received and not yet consumed and handles every complete head in them.</summary>
    /// <param name="input">The unconsumed bytes, oldest first.</param>
    /// <param name="output">Where to write the bytes to send.</param>
    /// <param name="bytesConsumed">How many bytes of <paramref name="input"/> were used (whole heads only); the caller keeps the rest.</param>
    /// <param name="isFinalBlock">
    /// True when the client has closed its side: an unfinished head then fails with
    /// <see cref="HandshakeFailure.ConnectionClosed"/>, or <see cref="HandshakeFailure.AuthenticationFailed"/> after a 407
    /// (nothing is written).
    /// </param>
    /// <returns><see cref="ServerEvent.NeedMoreData"/>, <see cref="ServerEvent.CredentialsReceived"/>, <see cref="ServerEvent.RequestReceived"/> or <see cref="ServerEvent.MustClose"/>.</returns>
    /// <exception cref="InvalidOperationException">A decision is pending, or the exchange is already over.</exception>
    public ServerEvent Process(ReadOnlySpan<byte> input, IBufferWriter<byte> output, out int bytesConsumed, bool isFinalBlock = false)
    {
        ServerEngines.ExpectInput(State, output);
        bytesConsumed = 0;
        while (true)
        {
            ReadOnlySpan<byte> rest = input.Slice(bytesConsumed);
            OperationStatus status = HttpConnectRequest.TryParse(rest, _maxHeadLength, out HttpConnectRequest request, out int used, out ParseError error);
            if (status == OperationStatus.NeedMoreData)
            {
                if (rest.Length >= _maxHeadLength)
                {
                    return Refuse(431, HandshakeFailure.MessageTooLong, ParseError.HeadTooLarge, output);
                }

                return isFinalBlock ? Fail(Failure == HandshakeFailure.AuthenticationFailed ? Failure : HandshakeFailure.ConnectionClosed, ParseError.None) : ServerEvent.NeedMoreData;
            }

            if (status == OperationStatus.InvalidData)
            {
                return error switch
                {
                    ParseError.HeadTooLarge => Refuse(431, HandshakeFailure.MessageTooLong, error, output),
                    ParseError.UnsupportedVersion => Refuse(505, HandshakeFailure.MalformedMessage, error, output),
                    _ => Refuse(400, HandshakeFailure.MalformedMessage, error, output),
                };
            }

            if (!request.IsConnect)
            {
                // Not a forward proxy: only CONNECT is served (405 names it in Allow).
                return Refuse(405, HandshakeFailure.CommandNotSupported, ParseError.None, output);
            }

            bytesConsumed += used;
            Socks5EndPoint destination = request.GetDestination(_buffer.AsSpan(IPOffset, 16));
            if (destination.AddressType == AddressType.DomainName)
            {
                destination.Address.CopyTo(_buffer.AsSpan(NameOffset));
            }

            _addressType = destination.AddressType;
            _addressLength = destination.Address.Length;
            _port = destination.Port;
            if (!_requireCredentials)
            {
                return Decide(ServerEngineState.RequestDecisionPending, ServerEvent.RequestReceived);
            }

            if (request.HasProxyAuthorization
                && HttpBasicCredentials.TryDecode(request.ProxyAuthorization, _buffer.AsSpan(CredentialsOffset), out ReadOnlySpan<byte> user, out ReadOnlySpan<byte> password) == OperationStatus.Done)
            {
                _userNameLength = user.Length;
                _passwordLength = password.Length;
                return Decide(ServerEngineState.CredentialsDecisionPending, ServerEvent.CredentialsReceived);
            }

            // Nothing to check: challenge, and read the next head (it may be here already).
            Challenge(output);
        }
    }

    /// <summary>Answers <see cref="ServerEvent.CredentialsReceived"/>.</summary>
    /// <param name="accepted">Whether the user name and password are valid.</param>
    /// <param name="output">Where a refusal's 407 is written.</param>
    /// <returns>
    /// <see cref="ServerEvent.RequestReceived"/> (answer it with <c>Reply</c>), or after a 407
    /// <see cref="ServerEvent.NeedMoreData"/>: call <see cref="Process"/> with the bytes left, for the client's next head.
    /// </returns>
    /// <exception cref="InvalidOperationException">No credentials are waiting for a decision.</exception>
    public ServerEvent AcceptCredentials(bool accepted, IBufferWriter<byte> output)
    {
        ServerEngines.ExpectState(State, ServerEngineState.CredentialsDecisionPending, "No credentials are waiting for a decision.");
        if (!accepted)
        {
            Challenge(output);
            return ServerEvent.NeedMoreData;
        }

        return Decide(ServerEngineState.RequestDecisionPending, ServerEvent.RequestReceived);
    }

    /// <summary>
    /// Answers <see cref="ServerEvent.RequestReceived"/>: 200 for <see cref="ReplyCode.Succeeded"/>, 403 for
    /// <see cref="ReplyCode.ConnectionNotAllowed"/>, 504 for <see cref="ReplyCode.TtlExpired"/> or a connect that timed
    /// out, 502 for any other failure.
    /// </summary>
    /// <param name="replyCode">The outcome, as the SOCKS5 reply the host would send.</param>
    /// <param name="timedOut">True when the connect to the destination timed out (SOCKS5 has no code for it: X'01').</param>
    /// <param name="output">Where to write the response.</param>
    /// <returns><see cref="ServerEvent.Established"/>, or <see cref="ServerEvent.MustClose"/> with <see cref="HandshakeFailure.RequestRejected"/>.</returns>
    /// <exception cref="InvalidOperationException">No request is waiting for a reply.</exception>
    public ServerEvent Reply(ReplyCode replyCode, bool timedOut, IBufferWriter<byte> output)
    {
        ServerEngines.ExpectState(State, ServerEngineState.RequestDecisionPending, "No request is waiting for a reply.");
        int status = replyCode switch
        {
            Wire.ReplyCode.Succeeded => 200,
            Wire.ReplyCode.ConnectionNotAllowed => 403,
            Wire.ReplyCode.TtlExpired => 504,
            _ when timedOut => 504,
            _ => 502,
        };
        HttpConnectResponse.Write(output, status);
        StatusCode = status;
        if (status != 200)
        {
            return Fail(HandshakeFailure.RequestRejected, ParseError.None);
        }

        State = ServerEngineState.Established;
        return ServerEvent.Established;
    }

    /// <summary>Answers <see cref="ServerEvent.RequestReceived"/> for a connect that did not time out.</summary>
    /// <param name="replyCode">The outcome, as the SOCKS5 reply the host would send.</param>
    /// <param name="output">Where to write the response.</param>
    /// <returns>As <see cref="Reply(ReplyCode, bool, IBufferWriter{byte})"/>.</returns>
    /// <exception cref="InvalidOperationException">No request is waiting for a reply.</exception>
    public ServerEvent Reply(ReplyCode replyCode, IBufferWriter<byte> output) => Reply(replyCode, false, output);

    private ServerEvent Decide(ServerEngineState state, ServerEvent e)
    {
        Failure = HandshakeFailure.None;
        State = state;
        return e;
    }

    // A 407: the client may try again on this connection; until a head is accepted, leaving is an authentication failure.
    private void Challenge(IBufferWriter<byte> output)
    {
        HttpConnectResponse.WriteProxyAuthenticationRequired(output, _realm);
        StatusCode = 407;
        Failure = HandshakeFailure.AuthenticationFailed;
        State = ServerEngineState.AwaitingRequest;
    }

    private ServerEvent Refuse(int status, HandshakeFailure failure, ParseError error, IBufferWriter<byte> output)
    {
        HttpConnectResponse.Write(output, status);
        StatusCode = status;
        return Fail(failure, error);
    }

    private ServerEvent Fail(HandshakeFailure failure, ParseError error)
    {
        Failure = failure;
        ParseError = error;
        State = ServerEngineState.Closed;
        return ServerEvent.MustClose;
    }
}
