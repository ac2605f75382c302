using System;
using System.Globalization;
using System.Net;
using Socks5.Protocol.Engine;
using Socks5.Protocol.Transport;
using Socks5.Protocol.Wire;

namespace Socks5.Protocol.Client;

/// <summary>Turns a failed client handshake into a <see cref="Socks5Exception"/> whose message says what the proxy did.</summary>
internal static class Socks5ClientErrors
{
    public static Socks5Exception FromHandshake(IClientEngine engine, EndPoint? proxy, EndPoint destination) => engine switch
    {
        Socks4ClientEngine socks4 => FromSocks4(socks4, proxy, destination),
        HttpConnectClientEngine http => FromHttp(http, proxy, destination),
        _ => FromSocks5((Socks5ClientEngine)engine, proxy, destination),
    };

    private static Socks5Exception FromSocks4(Socks4ClientEngine engine, EndPoint? proxy, EndPoint destination)
    {
        string who = proxy is null ? "The SOCKS4 proxy" : "The SOCKS4 proxy " + EndPoints.Format(proxy);
        string request = $"{Name(engine.Command)} to {EndPoints.Format(destination)}";
        string message = engine.Failure switch
        {
            HandshakeFailure.RequestRejected => $"{who} refused {request}: {Describe(engine.ReplyCode)} (CD {(byte)engine.ReplyCode}).",
            HandshakeFailure.MalformedMessage => $"{who} sent a malformed reply ({engine.ParseError}) to {request}.",
            _ => $"{who} closed the connection before its reply to {request} was complete.",
        };
        return new Socks5Exception(message, engine.Failure, null, proxy, destination)
        {
            Socks4ReplyCode = engine.Failure == HandshakeFailure.RequestRejected ? engine.ReplyCode : null,
        };
    }

    private static Socks5Exception FromHttp(HttpConnectClientEngine engine, EndPoint? proxy, EndPoint destination)
    {
        string who = proxy is null ? "The HTTP proxy" : "The HTTP proxy " + EndPoints.Format(proxy);
        string target = EndPoints.Format(destination);
        string message = engine.Failure switch
        {
            HandshakeFailure.AuthenticationFailed => $"{who} wants credentials for CONNECT to {target} or refused those sent (407 Proxy Authentication Required).",
            HandshakeFailure.RequestRejected => $"{who} refused CONNECT to {target} with status {engine.StatusCode}.",
            HandshakeFailure.MalformedMessage => $"{who} sent a malformed response ({engine.ParseError}) to CONNECT to {target}.",
            HandshakeFailure.MessageTooLong => $"{who} sent a response head larger than {engine.MaxHeadLength} bytes to CONNECT to {target}.",
            _ => $"{who} closed the connection before its response to CONNECT to {target} was complete.",
        };
        return new Socks5Exception(message, engine.Failure, null, proxy, destination)
        {
            HttpStatusCode = engine.StatusCode == 0 ? null : engine.StatusCode,
        };
    }

    private static Socks5Exception FromSocks5(Socks5ClientEngine engine, EndPoint? proxy, EndPoint destination)
    {
        string who = proxy is null ? "The proxy" : "The proxy " + EndPoints.Format(proxy);
        string command = Name(engine.Command);
        string target = EndPoints.Format(destination);
        HandshakeFailure failure = engine.Failure;
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
                return new Socks5Exception(message, failure, null, proxy, destination) { UsernamePasswordStatus = status, SelectedMethod = engine.SelectedMethod };
            case HandshakeFailure.MalformedMessage:
                message = $"{who} sent a malformed message ({engine.ParseError}) during {command} to {target}.";
                break;
            case HandshakeFailure.MessageTooLong:
                message = $"{who} sent an oversized message during the handshake ({Stage(engine.FailedIn)}) of {command} to {target}.";
                break;
            default:
                // The proxy closed early. A reply cut short (ss-local sends 05 07 00 01, then closes) still tells the code,
                // which the engine kept.
                code = engine.FailedIn is ClientEngineState.AwaitingReply or ClientEngineState.AwaitingSecondReply && engine.ReplyCode != ReplyCode.Succeeded
                    ? engine.ReplyCode
                    : null;
                message = $"{who} closed the connection during the handshake ({Stage(engine.FailedIn)}) of {command} to {target}"
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
        Command.Resolve => "RESOLVE",
        Command.ResolvePtr => "RESOLVE_PTR",
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
        // Tor's extended error codes, with the names its socks-extensions document gives them.
        ReplyCode.OnionServiceDescriptorCannotBeFound => "onion service descriptor can not be found",
        ReplyCode.OnionServiceDescriptorIsInvalid => "onion service descriptor is invalid",
        ReplyCode.OnionServiceIntroductionFailed => "onion service introduction failed",
        ReplyCode.OnionServiceRendezvousFailed => "onion service rendezvous failed",
        ReplyCode.OnionServiceMissingClientAuthorization => "onion service missing client authorization",
        ReplyCode.OnionServiceWrongClientAuthorization => "onion service wrong client authorization",
        ReplyCode.OnionServiceInvalidAddress => "onion service invalid address",
        ReplyCode.OnionServiceIntroductionTimedOut => "onion service introduction timed out",
        _ => "unassigned reply code",
    };

    private static string Describe(Socks4ReplyCode code) => code switch
    {
        Socks4ReplyCode.RequestRejectedOrFailed => "request rejected or failed",
        Socks4ReplyCode.CannotConnectToIdentd => "request rejected because the server cannot connect to identd on the client",
        Socks4ReplyCode.DifferentUserIds => "request rejected because the client program and identd report different user-ids",
        _ => "unknown reply code",
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
}
