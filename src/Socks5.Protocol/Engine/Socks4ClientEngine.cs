using System;
using System.Buffers;
using Socks5.Protocol.Internal;
using Socks5.Protocol.Wire;

namespace Socks5.Protocol.Engine;

/// <summary>
/// The client side of a SOCKS4 or SOCKS4a exchange as a sans-IO state machine: it writes the request (SOCKS4a when the
/// destination is a host name) and reports the reply, or both replies for BIND.
/// </summary>
/// <remarks>
/// <para>
/// Used as <see cref="Socks5ClientEngine"/> is: <see cref="Start"/> writes the request; <see cref="Process"/> takes every
/// byte received and not yet consumed; after <see cref="ClientEvent.Established"/> the bytes not consumed are tunnel data.
/// There is no method negotiation: the USERID is the only credential. Tor's RESOLVE (X'F0') works over SOCKS4a too: the
/// address found is <see cref="BoundAddress"/>.
/// </para>
/// <para>
/// A reply whose VN is not 0 gives <see cref="HandshakeFailure.MalformedMessage"/>; a CD other than 90 gives
/// <see cref="HandshakeFailure.RequestRejected"/> with <see cref="ReplyCode"/>; a server that closes before 8 bytes
/// arrived gives <see cref="HandshakeFailure.ConnectionClosed"/>. A reply is 8 bytes, so input never piles up.
/// </para>
/// </remarks>
public sealed class Socks4ClientEngine : IClientEngine
{
    private readonly byte[] _request;
    private readonly byte[] _firstReply = new byte[Socks4Reply.Length];
    private readonly byte[] _finalReply = new byte[Socks4Reply.Length];
    private bool _hasFirstReply;
    private bool _hasFinalReply;

    /// <summary>Creates an engine for one exchange.</summary>
    /// <param name="command">CD: CONNECT, BIND, Tor's RESOLVE, or another byte.</param>
    /// <param name="destination">An IPv4 endpoint (SOCKS4) or a host name (SOCKS4a); copied.</param>
    /// <param name="userId">USERID: 0 to 255 bytes without NUL; copied.</param>
    /// <exception cref="ArgumentException">The destination is IPv6 or <c>default</c>, or the USERID does not fit (see <see cref="Socks4Request.GetLength"/>).</exception>
    public Socks4ClientEngine(Command command, Socks5EndPoint destination, ReadOnlySpan<byte> userId = default)
    {
        _request = new byte[Socks4Request.GetLength(destination, userId)];
        Socks4Request.TryWrite(command, destination, userId, _request, out _);
        Command = command;
    }

    /// <summary>Where the exchange stands (there is no method selection or authentication stage).</summary>
    public ClientEngineState State { get; private set; }

    /// <summary>Why the engine is closed; <see cref="HandshakeFailure.None"/> otherwise.</summary>
    public HandshakeFailure Failure { get; private set; }

    /// <summary>With <see cref="HandshakeFailure.MalformedMessage"/>: which rule the reply broke.</summary>
    public ParseError ParseError { get; private set; }

    /// <summary>CD of the last reply, kept raw; <see cref="Socks4ReplyCode.RequestGranted"/> before any reply.</summary>
    public Socks4ReplyCode ReplyCode { get; private set; } = Socks4ReplyCode.RequestGranted;

    /// <summary>The command this engine requests.</summary>
    public Command Command { get; }

    /// <summary>The destination this engine requests: an IPv4 endpoint, or a host name for SOCKS4a.</summary>
    public Socks5EndPoint Destination
    {
        get
        {
            Socks4Request.TryParse(_request, out Socks4Request request, out _, out _);
            return request.Destination;
        }
    }

    /// <summary>8 while a reply is awaited; 0 when no input is expected.</summary>
    public int MaxMessageLength => State is ClientEngineState.AwaitingReply or ClientEngineState.AwaitingSecondReply ? Socks4Reply.Length : 0;

    /// <summary>DSTIP and DSTPORT of BIND's first reply: where the proxy listens for the peer.</summary>
    /// <exception cref="InvalidOperationException">No first BIND reply has arrived.</exception>
    public Socks5EndPoint BindAddress => GetReplyAddress(_firstReply, _hasFirstReply);

    /// <summary>
    /// DSTIP and DSTPORT of the final reply: the peer for BIND, the address found for RESOLVE; servers usually send zeros
    /// for CONNECT. Also set for a refusal.
    /// </summary>
    /// <exception cref="InvalidOperationException">No final reply has arrived.</exception>
    public Socks5EndPoint BoundAddress => GetReplyAddress(_finalReply, _hasFinalReply);

    /// <summary>Makes the engine ready to send the same request again on a new connection.</summary>
    public void Reset()
    {
        State = ClientEngineState.NotStarted;
        Failure = HandshakeFailure.None;
        ParseError = ParseError.None;
        ReplyCode = Socks4ReplyCode.RequestGranted;
        _hasFirstReply = false;
        _hasFinalReply = false;
    }

    /// <summary>Writes the request.</summary>
    /// <param name="output">Where to write it.</param>
    /// <returns><see cref="ClientEvent.NeedMoreData"/>.</returns>
    /// <exception cref="InvalidOperationException">The engine was started already.</exception>
    public ClientEvent Start(IBufferWriter<byte> output)
    {
        State = OneRequest.Start(State, output, _request);
        return ClientEvent.NeedMoreData;
    }

    /// <summary>Takes the bytes received and not yet consumed and handles the reply they hold.</summary>
    /// <param name="input">The unconsumed bytes, oldest first.</param>
    /// <param name="output">Where to write (SOCKS4 never answers a reply; kept for symmetry with the other engines).</param>
    /// <param name="bytesConsumed">How many bytes of <paramref name="input"/> were used.</param>
    /// <param name="isFinalBlock">True when the server has closed its side.</param>
    /// <returns>What happened.</returns>
    /// <exception cref="InvalidOperationException">The engine was not started, or the exchange is over.</exception>
    public ClientEvent Process(ReadOnlySpan<byte> input, IBufferWriter<byte> output, out int bytesConsumed, bool isFinalBlock = false)
    {
        OneRequest.CheckAwaitingReply(State, output);
        bytesConsumed = 0;
        OperationStatus status = Socks4Reply.TryParse(input, out Socks4Reply reply, out int used, out ParseError error);
        if (status == OperationStatus.InvalidData)
        {
            return Fail(HandshakeFailure.MalformedMessage, error);
        }

        if (status == OperationStatus.NeedMoreData)
        {
            return isFinalBlock ? Fail(HandshakeFailure.ConnectionClosed, ParseError.None) : ClientEvent.NeedMoreData;
        }

        bytesConsumed = used;
        ReplyCode = reply.ReplyCode;
        if (State == ClientEngineState.AwaitingReply && Command == Command.Bind && reply.Granted)
        {
            input.Slice(0, used).CopyTo(_firstReply);
            _hasFirstReply = true;
            State = ClientEngineState.AwaitingSecondReply;
            return ClientEvent.FirstReplyReceived;
        }

        input.Slice(0, used).CopyTo(_finalReply);
        _hasFinalReply = true;
        if (!reply.Granted)
        {
            return Fail(HandshakeFailure.RequestRejected, ParseError.None);
        }

        State = ClientEngineState.Established;
        return ClientEvent.Established;
    }

    private static Socks5EndPoint GetReplyAddress(byte[] reply, bool arrived)
    {
        if (!arrived)
        {
            ThrowHelper.ThrowInvalidOperation("That reply has not arrived.");
        }

        Socks4Reply.TryParse(reply, out Socks4Reply parsed, out _, out _);
        return parsed.BoundAddress;
    }

    private ClientEvent Fail(HandshakeFailure failure, ParseError error)
    {
        Failure = failure;
        ParseError = error;
        State = ClientEngineState.Closed;
        return ClientEvent.MustClose;
    }
}
