using System;
using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Net;
using System.Threading.Tasks;
using Socks5.Protocol.Engine;
using Socks5.Protocol.Pipelines;
using Socks5.Protocol.Transport;
using Socks5.Protocol.Wire;

namespace Socks5.Protocol.Client;

/// <summary>Turns a failed client handshake into a <see cref="Socks5Exception"/> whose message says what the proxy did.</summary>
internal static class Socks5ClientErrors
{
    public static Socks5Exception FromHandshake(Socks5ClientHandshake handshake, PipeReader reader, EndPoint? proxy, EndPoint destination)
    {
        Socks5ClientEngine engine = handshake.Engine;
        string who = proxy is null ? "The proxy" : "The proxy " + EndPoints.Format(proxy);
        string command = Name(engine.Command);
        string target = EndPoints.Format(destination);
        HandshakeFailure failure = handshake.Failure;
        ReplyCode? code = null;
        string message;
        switch (failure)
        {
            case HandshakeFailure.RequestRejected:
                code = engine.ReplyCode;
                message = $"{who} refused {command} to {target}: {Describe(engine.ReplyCode)} (REP {Hex((byte)engine.ReplyCode)}).";
                break;
            case HandshakeFailure.NoAcceptableMethod:
                message = $"{who} accepts none of the authentication methods offered (METHOD X'FF').";
                break;
            case HandshakeFailure.UnexpectedMethod:
                message = $"{who} selected method {Hex((byte)engine.SelectedMethod)} which was not offered.";
                break;
            case HandshakeFailure.AuthenticationFailed:
                byte? status = (engine.Authenticator as UsernamePasswordClientAuthenticator)?.Status;
                message = status is byte s
                    ? $"{who} rejected the user name and password (RFC 1929 status {Hex(s)})."
                    : $"{who} failed the authentication (method {Hex((byte)engine.SelectedMethod)}).";
                return new Socks5Exception(message, failure, null, proxy, destination) { AuthenticationStatus = status, SelectedMethod = engine.SelectedMethod };
            case HandshakeFailure.MalformedMessage:
                message = $"{who} sent a malformed message ({engine.ParseError}) during {command} to {target}.";
                break;
            default:
                // The proxy closed early. A reply cut short (ss-local sends 05 07 00 01, then closes) still tells the code.
                code = engine.State == ClientEngineState.AwaitingReply || engine.State == ClientEngineState.AwaitingSecondReply ? PartialReplyCode(reader) : null;
                message = $"{who} closed the connection during the handshake ({Stage(engine.State)}) of {command} to {target}"
                    + (code is ReplyCode c ? $": {Describe(c)} (REP {Hex((byte)c)})." : ".");
                break;
        }

        return new Socks5Exception(message, failure, code, proxy, destination)
        {
            SelectedMethod = failure is HandshakeFailure.UnexpectedMethod or HandshakeFailure.NoAcceptableMethod ? engine.SelectedMethod : null,
        };
    }

    public static Socks5Exception Transport(Exception inner, ClientEngineState state, Command command, EndPoint? proxy, EndPoint destination) =>
        new(
            $"The connection to the proxy {EndPoints.Format(proxy)} failed during the handshake ({Stage(state)}) of {Name(command)} to {EndPoints.Format(destination)}: {inner.Message}",
            HandshakeFailure.ConnectionClosed,
            null,
            proxy,
            destination,
            inner);

    /// <summary>A successful UDP ASSOCIATE reply whose BND cannot be sent to: the reply's code and address are kept.</summary>
    public static Socks5Exception UnusableRelay(EndPoint proxy, EndPoint bound, string why, Exception? inner = null) =>
        new($"The proxy {EndPoints.Format(proxy)} named {EndPoints.Format(bound)} as its UDP relay, but {why}.", HandshakeFailure.None, ReplyCode.Succeeded, proxy, null, inner)
        {
            BoundAddress = bound,
        };

    public static string Name(Command command) => command switch
    {
        Command.Connect => "CONNECT",
        Command.Bind => "BIND",
        Command.UdpAssociate => "UDP ASSOCIATE",
        _ => "command " + Hex((byte)command),
    };

    public static string Describe(ReplyCode code) => code switch
    {
        ReplyCode.Succeeded => "succeeded",
        ReplyCode.GeneralFailure => "general SOCKS server failure",
        ReplyCode.ConnectionNotAllowed => "connection not allowed by ruleset",
        ReplyCode.NetworkUnreachable => "network unreachable",
        ReplyCode.HostUnreachable => "host unreachable",
        ReplyCode.ConnectionRefused => "connection refused",
        ReplyCode.TtlExpired => "TTL expired",
        ReplyCode.CommandNotSupported => "command not supported",
        ReplyCode.AddressTypeNotSupported => "address type not supported",
        _ => "unassigned reply code",
    };

    private static string Stage(ClientEngineState state) => state switch
    {
        ClientEngineState.NotStarted or ClientEngineState.AwaitingMethodSelection => "before selecting a method",
        ClientEngineState.Authenticating => "during authentication",
        ClientEngineState.AwaitingReply => "before its reply was complete",
        ClientEngineState.AwaitingSecondReply => "before BIND's second reply was complete",
        _ => "after the handshake",
    };

    private static string Hex(byte value) => "0x" + value.ToString("X2", CultureInfo.InvariantCulture);

    // The bytes the proxy sent before closing are still in the reader (the adapter consumed nothing of them).
    private static ReplyCode? PartialReplyCode(PipeReader reader)
    {
        // TryRead will not hand back bytes already examined, even after the end of the stream; a read of a finished stream
        // completes at once. Anything else is woken up rather than waited for.
        ValueTask<ReadResult> read = reader.ReadAsync();
        if (!read.IsCompleted)
        {
            reader.CancelPendingRead();
        }

        ReadResult result = read.AsTask().GetAwaiter().GetResult();
        ReadOnlySequence<byte> buffer = result.Buffer;
        ReplyCode? code = null;
        if (buffer.Length >= 2)
        {
            Span<byte> head = stackalloc byte[2];
            buffer.Slice(0, 2).CopyTo(head);
            if (head[0] == Socks5Constants.Version && head[1] != (byte)ReplyCode.Succeeded)
            {
                code = (ReplyCode)head[1];
            }
        }

        reader.AdvanceTo(buffer.Start);
        return code;
    }
}
