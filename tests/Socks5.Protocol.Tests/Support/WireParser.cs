using System;
using System.Buffers;
using System.Collections.Generic;
using Socks5.Protocol.Wire;

namespace Socks5.Protocol.Tests.Support;

/// <summary>
/// One message's span and sequence parsers, each turned into a <see cref="ParseOutcome"/>, so that the split,
/// property and fuzz tests can treat every message the same way.
/// </summary>
public sealed class WireParser
{
    private readonly Func<byte[], ParseOutcome> _span;
    private readonly Func<ReadOnlySequence<byte>, ParseOutcome> _sequence;

    private WireParser(string name, Func<byte[], ParseOutcome> span, Func<ReadOnlySequence<byte>, ParseOutcome> sequence)
    {
        Name = name;
        _span = span;
        _sequence = sequence;
    }

    public string Name { get; }

    public static WireParser Greeting { get; } = new(nameof(Socks5Greeting), ParseGreeting, ParseGreeting);

    public static WireParser MethodSelection { get; } = new(nameof(Socks5MethodSelection), ParseMethodSelection, ParseMethodSelection);

    public static WireParser UserPassRequest { get; } = new(nameof(UsernamePasswordRequest), ParseUserPass, ParseUserPass);

    public static WireParser UserPassReply { get; } = new(nameof(UsernamePasswordReply), ParseUserPassReply, ParseUserPassReply);

    public static WireParser Gssapi { get; } = new(nameof(GssapiMessage), ParseGssapi, ParseGssapi);

    public static WireParser Request { get; } = new(nameof(Socks5Request), ParseRequest, ParseRequest);

    public static WireParser Reply { get; } = new(nameof(Socks5Reply), ParseReply, ParseReply);

    public static WireParser UdpHeader { get; } = new(nameof(Socks5UdpHeader), ParseUdpHeader, ParseUdpHeader);

    public static WireParser Socks4Request { get; } = new(nameof(Socks4Request), ParseSocks4Request, ParseSocks4Request);

    public static WireParser Socks4Reply { get; } = new(nameof(Socks4Reply), ParseSocks4Reply, ParseSocks4Reply);

    public static WireParser HttpConnect { get; } = new(nameof(HttpConnectRequest), ParseHttpConnect, ParseHttpConnect);

    public static WireParser HttpResponse { get; } = new(nameof(HttpConnectResponse), ParseHttpResponse, ParseHttpResponse);

    public static IReadOnlyList<WireParser> All { get; } = new[]
    {
        Greeting, MethodSelection, UserPassRequest, UserPassReply, Gssapi, Request, Reply, UdpHeader, Socks4Request, Socks4Reply, HttpConnect, HttpResponse,
    };

    /// <summary>An HTTP head's fields as text, e.g. "CONNECT example.com:443 1 03 example.com 443 True Basic x".</summary>
    public static string Describe(HttpConnectRequest request) =>
        $"{Text(request.Method)} {Text(request.RequestTarget)} {request.MinorVersion} {(byte)request.HostType:X2} {Text(request.Host)} {request.Port} {request.HasProxyAuthorization} {Text(request.ProxyAuthorization)}";

    private static string Text(ReadOnlySpan<byte> bytes) => System.Text.Encoding.Latin1.GetString(bytes);

    public ParseOutcome Parse(byte[] source) => _span(source);

    public ParseOutcome Parse(ReadOnlySequence<byte> source) => _sequence(source);

    public override string ToString() => Name;

    private static ParseOutcome ParseGreeting(byte[] source)
    {
        OperationStatus status = Socks5Greeting.TryParse(source, out Socks5Greeting greeting, out int consumed, out ParseError error);
        return ParseOutcome.Of(status, consumed, error, Hex.Format(greeting.RawMethods));
    }

    private static ParseOutcome ParseGreeting(ReadOnlySequence<byte> source)
    {
        OperationStatus status = Socks5Greeting.TryParse(source, stackalloc byte[Socks5Greeting.MaxLength], out Socks5Greeting greeting, out int consumed, out ParseError error);
        return ParseOutcome.Of(status, consumed, error, Hex.Format(greeting.RawMethods));
    }

    private static ParseOutcome ParseMethodSelection(byte[] source)
    {
        OperationStatus status = Socks5MethodSelection.TryParse(source, out Socks5MethodSelection selection, out int consumed, out ParseError error);
        return ParseOutcome.Of(status, consumed, error, $"{(byte)selection.Method:X2}");
    }

    private static ParseOutcome ParseMethodSelection(ReadOnlySequence<byte> source)
    {
        OperationStatus status = Socks5MethodSelection.TryParse(source, out Socks5MethodSelection selection, out int consumed, out ParseError error);
        return ParseOutcome.Of(status, consumed, error, $"{(byte)selection.Method:X2}");
    }

    private static ParseOutcome ParseUserPass(byte[] source)
    {
        OperationStatus status = UsernamePasswordRequest.TryParse(source, out UsernamePasswordRequest request, out int consumed, out ParseError error);
        return ParseOutcome.Of(status, consumed, error, $"{Hex.Format(request.UserName)} {Hex.Format(request.Password)}");
    }

    private static ParseOutcome ParseUserPass(ReadOnlySequence<byte> source)
    {
        OperationStatus status = UsernamePasswordRequest.TryParse(source, stackalloc byte[UsernamePasswordRequest.MaxLength], out UsernamePasswordRequest request, out int consumed, out ParseError error);
        return ParseOutcome.Of(status, consumed, error, $"{Hex.Format(request.UserName)} {Hex.Format(request.Password)}");
    }

    private static ParseOutcome ParseUserPassReply(byte[] source)
    {
        OperationStatus status = UsernamePasswordReply.TryParse(source, out UsernamePasswordReply reply, out int consumed, out ParseError error);
        return ParseOutcome.Of(status, consumed, error, $"{reply.Status:X2} {reply.Succeeded}");
    }

    private static ParseOutcome ParseUserPassReply(ReadOnlySequence<byte> source)
    {
        OperationStatus status = UsernamePasswordReply.TryParse(source, out UsernamePasswordReply reply, out int consumed, out ParseError error);
        return ParseOutcome.Of(status, consumed, error, $"{reply.Status:X2} {reply.Succeeded}");
    }

    private static ParseOutcome ParseGssapi(byte[] source)
    {
        OperationStatus status = GssapiMessage.TryParse(source, out GssapiMessage message, out int consumed, out ParseError error);
        return ParseOutcome.Of(status, consumed, error, $"{(byte)message.MessageType:X2} {Hex.Format(message.Token)}");
    }

    private static ParseOutcome ParseGssapi(ReadOnlySequence<byte> source)
    {
        OperationStatus status = GssapiMessage.TryParse(source, GssapiMessage.MaxTokenLength, out GssapiMessageType type, out ReadOnlySequence<byte> token, out int consumed, out ParseError error);
        return ParseOutcome.Of(status, consumed, error, $"{(byte)type:X2} {Hex.Format(token.ToArray())}");
    }

    private static ParseOutcome ParseRequest(byte[] source)
    {
        OperationStatus status = Socks5Request.TryParse(source, out Socks5Request request, out int consumed, out ParseError error);
        return ParseOutcome.Of(status, consumed, error, $"{(byte)request.Command:X2} {ParseOutcome.Describe(request.Destination)}");
    }

    private static ParseOutcome ParseRequest(ReadOnlySequence<byte> source)
    {
        OperationStatus status = Socks5Request.TryParse(source, stackalloc byte[Socks5Request.MaxLength], out Socks5Request request, out int consumed, out ParseError error);
        return ParseOutcome.Of(status, consumed, error, $"{(byte)request.Command:X2} {ParseOutcome.Describe(request.Destination)}");
    }

    private static ParseOutcome ParseReply(byte[] source)
    {
        OperationStatus status = Socks5Reply.TryParse(source, out Socks5Reply reply, out int consumed, out ParseError error);
        return ParseOutcome.Of(status, consumed, error, $"{(byte)reply.ReplyCode:X2} {ParseOutcome.Describe(reply.BoundAddress)}");
    }

    private static ParseOutcome ParseReply(ReadOnlySequence<byte> source)
    {
        OperationStatus status = Socks5Reply.TryParse(source, stackalloc byte[Socks5Reply.MaxLength], out Socks5Reply reply, out int consumed, out ParseError error);
        return ParseOutcome.Of(status, consumed, error, $"{(byte)reply.ReplyCode:X2} {ParseOutcome.Describe(reply.BoundAddress)}");
    }

    private static ParseOutcome ParseUdpHeader(byte[] source)
    {
        OperationStatus status = Socks5UdpHeader.TryParse(source, out Socks5UdpHeader header, out int consumed, out ParseError error);
        return ParseOutcome.Of(status, consumed, error, $"{header.Fragment:X2} {ParseOutcome.Describe(header.Address)}");
    }

    private static ParseOutcome ParseUdpHeader(ReadOnlySequence<byte> source)
    {
        OperationStatus status = Socks5UdpHeader.TryParse(source, stackalloc byte[Socks5UdpHeader.MaxLength], out Socks5UdpHeader header, out int consumed, out ParseError error);
        return ParseOutcome.Of(status, consumed, error, $"{header.Fragment:X2} {ParseOutcome.Describe(header.Address)}");
    }

    private static ParseOutcome ParseSocks4Request(byte[] source)
    {
        OperationStatus status = global::Socks5.Protocol.Wire.Socks4Request.TryParse(source, out global::Socks5.Protocol.Wire.Socks4Request request, out int consumed, out ParseError error);
        return ParseOutcome.Of(status, consumed, error, $"{(byte)request.Command:X2} {ParseOutcome.Describe(request.Destination)} {Hex.Format(request.UserId)}");
    }

    private static ParseOutcome ParseSocks4Request(ReadOnlySequence<byte> source)
    {
        OperationStatus status = global::Socks5.Protocol.Wire.Socks4Request.TryParse(source, stackalloc byte[global::Socks5.Protocol.Wire.Socks4Request.MaxLength], out global::Socks5.Protocol.Wire.Socks4Request request, out int consumed, out ParseError error);
        return ParseOutcome.Of(status, consumed, error, $"{(byte)request.Command:X2} {ParseOutcome.Describe(request.Destination)} {Hex.Format(request.UserId)}");
    }

    private static ParseOutcome ParseSocks4Reply(byte[] source)
    {
        OperationStatus status = global::Socks5.Protocol.Wire.Socks4Reply.TryParse(source, out global::Socks5.Protocol.Wire.Socks4Reply reply, out int consumed, out ParseError error);
        return ParseOutcome.Of(status, consumed, error, $"{(byte)reply.ReplyCode:X2} {ParseOutcome.Describe(reply.BoundAddress)}");
    }

    private static ParseOutcome ParseSocks4Reply(ReadOnlySequence<byte> source)
    {
        OperationStatus status = global::Socks5.Protocol.Wire.Socks4Reply.TryParse(source, stackalloc byte[global::Socks5.Protocol.Wire.Socks4Reply.Length], out global::Socks5.Protocol.Wire.Socks4Reply reply, out int consumed, out ParseError error);
        return ParseOutcome.Of(status, consumed, error, $"{(byte)reply.ReplyCode:X2} {ParseOutcome.Describe(reply.BoundAddress)}");
    }

    private static ParseOutcome ParseHttpConnect(byte[] source)
    {
        OperationStatus status = HttpConnectRequest.TryParse(source, HttpHeadLimit, out HttpConnectRequest request, out int consumed, out ParseError error);
        return ParseOutcome.Of(status, consumed, error, status == OperationStatus.Done ? Describe(request) : string.Empty);
    }

    private static ParseOutcome ParseHttpConnect(ReadOnlySequence<byte> source)
    {
        OperationStatus status = HttpConnectRequest.TryParse(source, stackalloc byte[HttpHeadLimit], HttpHeadLimit, out HttpConnectRequest request, out int consumed, out ParseError error);
        return ParseOutcome.Of(status, consumed, error, status == OperationStatus.Done ? Describe(request) : string.Empty);
    }

    private static ParseOutcome ParseHttpResponse(byte[] source)
    {
        OperationStatus status = HttpConnectResponse.TryParse(source, HttpHeadLimit, out int code, out int consumed, out ParseError error);
        return ParseOutcome.Of(status, consumed, error, status == OperationStatus.Done ? code.ToString(System.Globalization.CultureInfo.InvariantCulture) : string.Empty);
    }

    private static ParseOutcome ParseHttpResponse(ReadOnlySequence<byte> source)
    {
        OperationStatus status = HttpConnectResponse.TryParse(source, stackalloc byte[HttpHeadLimit], HttpHeadLimit, out int code, out int consumed, out ParseError error);
        return ParseOutcome.Of(status, consumed, error, status == OperationStatus.Done ? code.ToString(System.Globalization.CultureInfo.InvariantCulture) : string.Empty);
    }

    /// <summary>
    /// The head limit of <see cref="HttpConnect"/>: smaller than the default, so that the every-split tests reach the
    /// limit with short inputs.
    /// </summary>
    public const int HttpHeadLimit = 256;
}
