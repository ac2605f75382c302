using System.Buffers;
using Socks5.Protocol.Tests.Support;
using Socks5.Protocol.Wire;
using Parsed = (System.Buffers.OperationStatus Status, int Consumed, Socks5.Protocol.Wire.ParseError Error);

namespace Socks5.Protocol.Fuzz;

/// <summary>What one parse gave and the bytes its result writes back: enough to compare two parses.</summary>
internal readonly record struct Outcome(OperationStatus Status, int Consumed, ParseError Error, byte[] Rewritten);

/// <summary>
/// The fuzz targets. Each one throws <see cref="PropertyViolation"/> (a crash to AFL) when a property does not hold;
/// any other exception escaping the library is a finding too, since the parsers and engines document none for input.
/// </summary>
internal static class Targets
{
    // A parse writes its result back to the writer while the ref struct is alive (it points into the input or scratch).
    internal delegate Parsed SpanParser(ReadOnlySpan<byte> input, IBufferWriter<byte> rewrite);
    internal delegate Parsed SequenceParser(ReadOnlySequence<byte> input, IBufferWriter<byte> rewrite);

    public static readonly string[] Names =
    [
        "wire-request", "wire-reply", "greeting", "method-selection", "userpass-request", "userpass-reply",
        "gssapi", "udp-header", "engine-server", "engine-client", "socks4-request", "socks4-reply", "http-connect",
        "http-response", "engine-socks4-server", "engine-http-server",
    ];

    public static Action<byte[]> Get(string name) => name switch
    {
        "wire-request" => data => Parser(data, RequestSpan, RequestSequence),
        "wire-reply" => data => Parser(data, ReplySpan, ReplySequence),
        "greeting" => data => Parser(data, GreetingSpan, GreetingSequence),
        "method-selection" => data => Parser(data, MethodSelectionSpan, MethodSelectionSequence),
        "userpass-request" => data => Parser(data, UserPassRequestSpan, UserPassRequestSequence),
        "userpass-reply" => data => Parser(data, UserPassReplySpan, UserPassReplySequence),
        "gssapi" => data => Parser(data, GssapiSpan, GssapiSequence),
        "udp-header" => data => Parser(data, UdpHeaderSpan, UdpHeaderSequence),
        "socks4-request" => data => Parser(data, Socks4RequestSpan, Socks4RequestSequence),
        "socks4-reply" => data => Parser(data, Socks4ReplySpan, Socks4ReplySequence),
        // No writer gives a request head back byte for byte: its fields are compared instead (span against sequence).
        "http-connect" => data => Parser(data, HttpConnectSpan, HttpConnectSequence, roundTrips: false),
        "http-response" => data => Parser(data, HttpResponseSpan, HttpResponseSequence, roundTrips: false),
        "engine-server" => EngineDrivers.Server,
        "engine-client" => EngineDrivers.Client,
        "engine-socks4-server" => EngineDrivers.Socks4Server,
        "engine-http-server" => EngineDrivers.HttpServer,
        _ => throw new ArgumentException("unknown target " + name + "; one of: " + string.Join(", ", Names)),
    };

    /// <summary>The properties every parser shares, over the span and over two segmentations of the sequence.</summary>
    private static void Parser(byte[] data, SpanParser span, SequenceParser sequence, bool roundTrips = true)
    {
        var expected = Run(w => span(data, w));
        Check(expected.Consumed >= 0 && expected.Consumed <= data.Length, "consumed beyond the input", expected);
        if (expected.Status == OperationStatus.Done)
        {
            Check(expected.Consumed > 0, "Done without progress", expected);
            Check(expected.Error == ParseError.None, "Done with an error", expected);
            Check(!roundTrips || expected.Rewritten.AsSpan().SequenceEqual(data.AsSpan(0, expected.Consumed)), "write(parse(x)) != x", expected);
        }
        else
        {
            Check(expected.Consumed == 0, "consumed without Done", expected);
            Check((expected.Status == OperationStatus.InvalidData) == (expected.Error != ParseError.None), "error and status disagree", expected);
            Check(expected.Status is OperationStatus.NeedMoreData or OperationStatus.InvalidData, "unexpected status", expected);
        }

        // Segment sizes from the input itself, so a finding replays the same way.
        int[] sizes = [1, 1 + (data.Length > 0 ? data[^1] % 7 : 0)];
        foreach (var size in sizes)
        {
            var segmented = Segments.Create(data.Chunk(size).ToArray());
            var actual = Run(w => sequence(segmented, w));
            Check(actual.Status == expected.Status && actual.Consumed == expected.Consumed && actual.Error == expected.Error
                && actual.Rewritten.AsSpan().SequenceEqual(expected.Rewritten), $"span and sequence (segments of {size}) disagree: {actual} vs", expected);
        }
    }

    private static Outcome Run(Func<IBufferWriter<byte>, Parsed> parse)
    {
        var rewrite = new ArrayBufferWriter<byte>();
        var (status, consumed, error) = parse(rewrite);
        return new Outcome(status, consumed, error, rewrite.WrittenSpan.ToArray());
    }

    private static void Check(bool condition, string property, Outcome outcome)
    {
        if (!condition)
            PropertyViolation.Throw($"{property} {outcome.Status} consumed={outcome.Consumed} error={outcome.Error} rewritten={Convert.ToHexString(outcome.Rewritten)}");
    }

    private static Parsed RequestSpan(ReadOnlySpan<byte> input, IBufferWriter<byte> w)
    {
        var status = Socks5Request.TryParse(input, out var request, out var consumed, out var error);
        if (status == OperationStatus.Done)
            Socks5Request.Write(w, request.Command, request.Destination);
        return (status, consumed, error);
    }

    private static Parsed RequestSequence(ReadOnlySequence<byte> input, IBufferWriter<byte> w)
    {
        Span<byte> scratch = stackalloc byte[Socks5Request.MaxLength];
        var status = Socks5Request.TryParse(input, scratch, out var request, out var consumed, out var error);
        if (status == OperationStatus.Done)
            Socks5Request.Write(w, request.Command, request.Destination);
        return (status, consumed, error);
    }

    private static Parsed ReplySpan(ReadOnlySpan<byte> input, IBufferWriter<byte> w)
    {
        var status = Socks5Reply.TryParse(input, out var reply, out var consumed, out var error);
        if (status == OperationStatus.Done)
            Socks5Reply.Write(w, reply.ReplyCode, reply.BoundAddress);
        return (status, consumed, error);
    }

    private static Parsed ReplySequence(ReadOnlySequence<byte> input, IBufferWriter<byte> w)
    {
        Span<byte> scratch = stackalloc byte[Socks5Reply.MaxLength];
        var status = Socks5Reply.TryParse(input, scratch, out var reply, out var consumed, out var error);
        if (status == OperationStatus.Done)
            Socks5Reply.Write(w, reply.ReplyCode, reply.BoundAddress);
        return (status, consumed, error);
    }

    private static Parsed GreetingSpan(ReadOnlySpan<byte> input, IBufferWriter<byte> w)
    {
        var status = Socks5Greeting.TryParse(input, out var greeting, out var consumed, out var error);
        if (status == OperationStatus.Done)
            Socks5Greeting.Write(w, greeting.Methods);
        return (status, consumed, error);
    }

    private static Parsed GreetingSequence(ReadOnlySequence<byte> input, IBufferWriter<byte> w)
    {
        Span<byte> scratch = stackalloc byte[Socks5Greeting.MaxLength];
        var status = Socks5Greeting.TryParse(input, scratch, out var greeting, out var consumed, out var error);
        if (status == OperationStatus.Done)
            Socks5Greeting.Write(w, greeting.Methods);
        return (status, consumed, error);
    }

    private static Parsed MethodSelectionSpan(ReadOnlySpan<byte> input, IBufferWriter<byte> w)
    {
        var status = Socks5MethodSelection.TryParse(input, out var selection, out var consumed, out var error);
        if (status == OperationStatus.Done)
            Socks5MethodSelection.Write(w, selection.Method);
        return (status, consumed, error);
    }

    private static Parsed MethodSelectionSequence(ReadOnlySequence<byte> input, IBufferWriter<byte> w)
    {
        var status = Socks5MethodSelection.TryParse(input, out var selection, out var consumed, out var error);
        if (status == OperationStatus.Done)
            Socks5MethodSelection.Write(w, selection.Method);
        return (status, consumed, error);
    }

    private static Parsed UserPassRequestSpan(ReadOnlySpan<byte> input, IBufferWriter<byte> w)
    {
        var status = UsernamePasswordRequest.TryParse(input, out var request, out var consumed, out var error);
        if (status == OperationStatus.Done)
            UsernamePasswordRequest.Write(w, request.UserName, request.Password);
        return (status, consumed, error);
    }

    private static Parsed UserPassRequestSequence(ReadOnlySequence<byte> input, IBufferWriter<byte> w)
    {
        Span<byte> scratch = stackalloc byte[UsernamePasswordRequest.MaxLength];
        var status = UsernamePasswordRequest.TryParse(input, scratch, out var request, out var consumed, out var error);
        if (status == OperationStatus.Done)
            UsernamePasswordRequest.Write(w, request.UserName, request.Password);
        return (status, consumed, error);
    }

    private static Parsed UserPassReplySpan(ReadOnlySpan<byte> input, IBufferWriter<byte> w)
    {
        var status = UsernamePasswordReply.TryParse(input, out var reply, out var consumed, out var error);
        if (status == OperationStatus.Done)
            UsernamePasswordReply.Write(w, reply.Status);
        return (status, consumed, error);
    }

    private static Parsed UserPassReplySequence(ReadOnlySequence<byte> input, IBufferWriter<byte> w)
    {
        var status = UsernamePasswordReply.TryParse(input, out var reply, out var consumed, out var error);
        if (status == OperationStatus.Done)
            UsernamePasswordReply.Write(w, reply.Status);
        return (status, consumed, error);
    }

    private static Parsed GssapiSpan(ReadOnlySpan<byte> input, IBufferWriter<byte> w)
    {
        var status = GssapiMessage.TryParse(input, out var message, out var consumed, out var error);
        if (status == OperationStatus.Done)
            GssapiMessage.Write(w, message.MessageType, message.Token);
        return (status, consumed, error);
    }

    private static Parsed GssapiSequence(ReadOnlySequence<byte> input, IBufferWriter<byte> w)
    {
        var status = GssapiMessage.TryParse(input, GssapiMessage.MaxTokenLength, out var type, out var token, out var consumed, out var error);
        if (status == OperationStatus.Done)
            GssapiMessage.Write(w, type, token.ToArray());
        return (status, consumed, error);
    }

    private static Parsed UdpHeaderSpan(ReadOnlySpan<byte> input, IBufferWriter<byte> w)
    {
        var status = Socks5UdpHeader.TryParse(input, out var header, out var consumed, out var error);
        if (status == OperationStatus.Done)
            Socks5UdpHeader.Write(w, header.Fragment, header.Address);
        return (status, consumed, error);
    }

    private static Parsed UdpHeaderSequence(ReadOnlySequence<byte> input, IBufferWriter<byte> w)
    {
        Span<byte> scratch = stackalloc byte[Socks5UdpHeader.MaxLength];
        var status = Socks5UdpHeader.TryParse(input, scratch, out var header, out var consumed, out var error);
        if (status == OperationStatus.Done)
            Socks5UdpHeader.Write(w, header.Fragment, header.Address);
        return (status, consumed, error);
    }

    private static Parsed Socks4RequestSpan(ReadOnlySpan<byte> input, IBufferWriter<byte> w)
    {
        var status = Socks4Request.TryParse(input, out var request, out var consumed, out var error);
        if (status == OperationStatus.Done)
            RewriteSocks4(w, request, input[7]);
        return (status, consumed, error);
    }

    private static Parsed Socks4RequestSequence(ReadOnlySequence<byte> input, IBufferWriter<byte> w)
    {
        Span<byte> scratch = stackalloc byte[Socks4Request.MaxLength];
        var status = Socks4Request.TryParse(input, scratch, out var request, out var consumed, out var error);
        if (status == OperationStatus.Done)
            RewriteSocks4(w, request, input.Slice(7, 1).FirstSpan[0]);
        return (status, consumed, error);
    }

    // The writer marks SOCKS4a with 0.0.0.1; a client may use any 0.0.0.x with x non-zero, so x is put back.
    private static void RewriteSocks4(IBufferWriter<byte> w, Socks4Request request, byte marker)
    {
        var buffer = new byte[Socks4Request.GetLength(request.Destination, request.UserId)];
        Socks4Request.TryWrite(request.Command, request.Destination, request.UserId, buffer, out _);
        if (request.IsSocks4a)
            buffer[7] = marker;
        w.Write(buffer);
    }

    private static Parsed Socks4ReplySpan(ReadOnlySpan<byte> input, IBufferWriter<byte> w)
    {
        var status = Socks4Reply.TryParse(input, out var reply, out var consumed, out var error);
        if (status == OperationStatus.Done)
            Socks4Reply.Write(w, reply.ReplyCode, reply.BoundAddress);
        return (status, consumed, error);
    }

    private static Parsed Socks4ReplySequence(ReadOnlySequence<byte> input, IBufferWriter<byte> w)
    {
        Span<byte> scratch = stackalloc byte[Socks4Reply.Length];
        var status = Socks4Reply.TryParse(input, scratch, out var reply, out var consumed, out var error);
        if (status == OperationStatus.Done)
            Socks4Reply.Write(w, reply.ReplyCode, reply.BoundAddress);
        return (status, consumed, error);
    }

    // A small limit, so that inputs AFL can grow reach it.
    private const int HttpLimit = 512;

    private static Parsed HttpConnectSpan(ReadOnlySpan<byte> input, IBufferWriter<byte> w)
    {
        var status = HttpConnectRequest.TryParse(input, HttpLimit, out var request, out var consumed, out var error);
        if (status == OperationStatus.Done)
            DescribeHttp(w, request, input.Slice(0, consumed));
        return (status, consumed, error);
    }

    private static Parsed HttpConnectSequence(ReadOnlySequence<byte> input, IBufferWriter<byte> w)
    {
        Span<byte> scratch = stackalloc byte[HttpLimit];
        var status = HttpConnectRequest.TryParse(input, scratch, HttpLimit, out var request, out var consumed, out var error);
        if (status == OperationStatus.Done)
            DescribeHttp(w, request, input.Slice(0, consumed).ToArray());
        return (status, consumed, error);
    }

    private static Parsed HttpResponseSpan(ReadOnlySpan<byte> input, IBufferWriter<byte> w)
    {
        var status = HttpConnectResponse.TryParse(input, HttpLimit, out var code, out var consumed, out var error);
        if (status == OperationStatus.Done)
            DescribeHttpResponse(w, code, input.Slice(0, consumed));
        return (status, consumed, error);
    }

    private static Parsed HttpResponseSequence(ReadOnlySequence<byte> input, IBufferWriter<byte> w)
    {
        Span<byte> scratch = stackalloc byte[HttpLimit];
        var status = HttpConnectResponse.TryParse(input, scratch, HttpLimit, out var code, out var consumed, out var error);
        if (status == OperationStatus.Done)
            DescribeHttpResponse(w, code, input.Slice(0, consumed).ToArray());
        return (status, consumed, error);
    }

    // A head always ends with the empty line within the limit and has a three-digit code.
    private static void DescribeHttpResponse(IBufferWriter<byte> w, int code, ReadOnlySpan<byte> head)
    {
        if (head.Length > HttpLimit || !head.EndsWith("\r\n\r\n"u8) || !head.StartsWith("HTTP/1."u8))
            PropertyViolation.Throw($"a response head of {head.Length} bytes that does not end with an empty line within the limit");
        if (code is < 100 or > 999)
            PropertyViolation.Throw($"status code {code}");
        w.Write(BitConverter.GetBytes(code));
    }

    // The fields, for span and sequence to agree on, after the checks a head always passes.
    private static void DescribeHttp(IBufferWriter<byte> w, HttpConnectRequest request, ReadOnlySpan<byte> head)
    {
        if (head.Length > HttpLimit || !head.EndsWith("\r\n\r\n"u8))
            PropertyViolation.Throw($"a head of {head.Length} bytes that does not end with an empty line within the limit");
        if (request.IsConnect && (request.Port == 0 || request.Host.IsEmpty || request.Host.Length > 255))
            PropertyViolation.Throw("a CONNECT head without a host and port");
        foreach (var field in new[] { request.Method.ToArray(), request.RequestTarget.ToArray(), request.Host.ToArray(), request.ProxyAuthorization.ToArray() })
        {
            w.Write(BitConverter.GetBytes(field.Length));
            w.Write(field);
        }

        w.Write([(byte)request.HostType, (byte)request.MinorVersion, request.HasProxyAuthorization ? (byte)1 : (byte)0]);
        w.Write(BitConverter.GetBytes(request.Port));
        if (request.IsConnect)
        {
            var destination = request.GetDestination(stackalloc byte[16]);
            w.Write([(byte)destination.AddressType]);
            w.Write(destination.Address);
        }
    }
}
