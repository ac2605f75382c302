using System;
using System.Buffers;
using Socks5.Protocol.Internal;
using Socks5.Protocol.Wire;

namespace Socks5.Protocol.Engine;

/// <summary>
/// The client side of an HTTP CONNECT exchange (RFC 9110 §9.3.6) as a sans-IO state machine: it writes the request head
/// (with Proxy-Authorization when given) and reads the response head.
/// </summary>
/// <remarks>
/// <para>
/// Used as <see cref="Socks5ClientEngine"/> is. A 2xx answer gives <see cref="ClientEvent.Established"/>, and the bytes
/// after the head are tunnel data. A 407 gives <see cref="HandshakeFailure.AuthenticationFailed"/>, any other status
/// <see cref="HandshakeFailure.RequestRejected"/>, both with <see cref="StatusCode"/>; the content of a refusal is not read.
/// A head that does not end within <see cref="MaxMessageLength"/> bytes gives <see cref="HandshakeFailure.MessageTooLong"/>.
/// </para>
/// </remarks>
public sealed class HttpConnectClientEngine : IClientEngine
{
    private readonly byte[] _request;
    private readonly int _maxHeadLength;

    /// <summary>Creates an engine for one exchange.</summary>
    /// <param name="authority">The target, <c>host:port</c> (an IPv6 host in brackets); copied.</param>
    /// <param name="proxyAuthorization">The Proxy-Authorization value (see <see cref="HttpBasicCredentials.TryEncode"/>); empty for none; copied.</param>
    /// <param name="maxHeadLength">The largest response head accepted.</param>
    /// <exception cref="ArgumentException">The authority or the value cannot be sent (see <see cref="HttpConnectRequest.GetLength"/>).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxHeadLength"/> is less than 1.</exception>
    public HttpConnectClientEngine(ReadOnlySpan<byte> authority, ReadOnlySpan<byte> proxyAuthorization = default, int maxHeadLength = HttpConnectResponse.DefaultMaxHeadLength)
    {
        if (maxHeadLength < 1)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(maxHeadLength), "The head size limit is at least 1 byte.");
        }

        _request = new byte[HttpConnectRequest.GetLength(authority, proxyAuthorization)];
        HttpConnectRequest.TryWrite(authority, proxyAuthorization, _request, out _);
        _maxHeadLength = maxHeadLength;
    }

    /// <summary>Where the exchange stands (<see cref="ClientEngineState.AwaitingReply"/> while the response head is read).</summary>
    public ClientEngineState State { get; private set; }

    /// <summary>Why the engine is closed; <see cref="HandshakeFailure.None"/> otherwise.</summary>
    public HandshakeFailure Failure { get; private set; }

    /// <summary>With <see cref="HandshakeFailure.MalformedMessage"/>: which rule the response head broke.</summary>
    public ParseError ParseError { get; private set; }

    /// <summary>The response's status code; 0 before the head has arrived.</summary>
    public int StatusCode { get; private set; }

    /// <summary>The largest response head accepted, the empty line included.</summary>
    public int MaxHeadLength => _maxHeadLength;

    /// <summary>Always <see cref="Command.Connect"/>: HTTP proxies only tunnel.</summary>
    public Command Command => Command.Connect;

    /// <summary>The head size limit while the response is awaited; 0 when no input is expected.</summary>
    public int MaxMessageLength => State == ClientEngineState.AwaitingReply ? _maxHeadLength : 0;

    /// <summary>Makes the engine ready to send the same request again on a new connection.</summary>
    public void Reset()
    {
        State = ClientEngineState.NotStarted;
        Failure = HandshakeFailure.None;
        ParseError = ParseError.None;
        StatusCode = 0;
    }

    /// <summary>Writes the request head.</summary>
    /// <param name="output">Where to write it.</param>
    /// <returns><see cref="ClientEvent.NeedMoreData"/>.</returns>
    /// <exception cref="InvalidOperationException">The engine was started already.</exception>
    public ClientEvent Start(IBufferWriter<byte> output)
    {
        State = OneRequest.Start(State, output, _request);
        return ClientEvent.NeedMoreData;
    }

    /// <summary>Takes the bytes received and not yet consumed and handles the response head they hold.</summary>
    /// <param name="input">The unconsumed bytes, oldest first.</param>
    /// <param name="output">Where to write (nothing is: kept for symmetry with the other engines).</param>
    /// <param name="bytesConsumed">How many bytes of <paramref name="input"/> were used: the head, when it is complete.</param>
    /// <param name="isFinalBlock">True when the server has closed its side.</param>
    /// <returns>What happened.</returns>
    /// <exception cref="InvalidOperationException">The engine was not started, or the exchange is over.</exception>
    public ClientEvent Process(ReadOnlySpan<byte> input, IBufferWriter<byte> output, out int bytesConsumed, bool isFinalBlock = false)
    {
        OneRequest.CheckAwaitingReply(State, output);
        bytesConsumed = 0;
        OperationStatus status = HttpConnectResponse.TryParse(input, _maxHeadLength, out int statusCode, out int used, out ParseError error);
        if (status == OperationStatus.InvalidData)
        {
            return error == ParseError.HeadTooLarge ? Fail(HandshakeFailure.MessageTooLong, ParseError.None) : Fail(HandshakeFailure.MalformedMessage, error);
        }

        if (status == OperationStatus.NeedMoreData)
        {
            return isFinalBlock ? Fail(HandshakeFailure.ConnectionClosed, ParseError.None) : ClientEvent.NeedMoreData;
        }

        bytesConsumed = used;
        StatusCode = statusCode;
        if (statusCode is >= 200 and < 300)
        {
            State = ClientEngineState.Established;
            return ClientEvent.Established;
        }

        // 1xx is not an answer CONNECT gets from a proxy that tunnels; refusing it keeps the engine simple.
        return Fail(statusCode == 407 ? HandshakeFailure.AuthenticationFailed : HandshakeFailure.RequestRejected, ParseError.None);
    }

    private ClientEvent Fail(HandshakeFailure failure, ParseError error)
    {
        Failure = failure;
        ParseError = error;
        State = ClientEngineState.Closed;
        return ClientEvent.MustClose;
    }
}
