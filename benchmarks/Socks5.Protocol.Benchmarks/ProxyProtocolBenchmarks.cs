using System;
using BenchmarkDotNet.Attributes;
using Socks5.Protocol.Wire;

namespace Socks5.Protocol.Benchmarks;

/// <summary>The SOCKS4a request: CONNECT www.example.com:8000 with an 8-byte USERID.</summary>
public class Socks4RequestBenchmarks : CodecBenchmarks
{
    private static readonly byte[] Name = "www.example.com"u8.ToArray();
    private static readonly byte[] UserId = "username"u8.ToArray();

    protected override int MaxLength => Socks4Request.MaxLength;

    [Benchmark]
    public int Parse_Span()
    {
        Socks4Request.TryParse(Message, out Socks4Request request, out int consumed, out _);
        return consumed + request.Destination.Port;
    }

    [Benchmark]
    public int Parse_Sequence()
    {
        Socks4Request.TryParse(Sequence, stackalloc byte[Socks4Request.MaxLength], out Socks4Request request, out int consumed, out _);
        return consumed + request.Destination.Port;
    }

    [Benchmark]
    public int TryWrite() => WriteTo(Destination);

    [Benchmark]
    public int Write_BufferWriter()
    {
        Writer.ResetWrittenCount();
        return Socks4Request.Write(Writer, Command.Connect, new Socks5EndPoint(AddressType.DomainName, Name, 8000), UserId);
    }

    protected override int Encode(Span<byte> destination) => WriteTo(destination);

    private int WriteTo(Span<byte> destination)
    {
        Socks4Request.TryWrite(Command.Connect, new Socks5EndPoint(AddressType.DomainName, Name, 8000), UserId, destination, out int written);
        return written;
    }
}

/// <summary>
/// The HTTP CONNECT head a curl-like client sends (Host, User-Agent, Proxy-Authorization, Proxy-Connection), parsed
/// with a 1 KiB limit (so that the sequence overload's stackalloc stays small), and the proxy's answers: 200 and 407.
/// </summary>
public class HttpConnectBenchmarks : CodecBenchmarks
{
    private const int Limit = 1024;

    private static readonly byte[] Head =
        "CONNECT www.example.com:443 HTTP/1.1\r\nHost: www.example.com:443\r\nUser-Agent: curl/8.5.0\r\nProxy-Authorization: Basic dXNlcm5hbWU6cGFzc3dvcmQ=\r\nProxy-Connection: Keep-Alive\r\n\r\n"u8.ToArray();

    private static readonly byte[] Realm = "proxy"u8.ToArray();

    protected override int MaxLength => Limit;

    [Benchmark]
    public int Parse_Span()
    {
        HttpConnectRequest.TryParse(Message, Limit, out HttpConnectRequest request, out int consumed, out _);
        return consumed + request.Port + request.ProxyAuthorization.Length;
    }

    [Benchmark]
    public int Parse_Sequence()
    {
        HttpConnectRequest.TryParse(Sequence, stackalloc byte[Limit], Limit, out HttpConnectRequest request, out int consumed, out _);
        return consumed + request.Port + request.ProxyAuthorization.Length;
    }

    [Benchmark]
    public int TryWrite()
    {
        HttpConnectResponse.TryWrite(200, Destination, out int written);
        return written;
    }

    [Benchmark]
    public int Write_BufferWriter()
    {
        Writer.ResetWrittenCount();
        return HttpConnectResponse.WriteProxyAuthenticationRequired(Writer, Realm);
    }

    [Benchmark]
    public int Decode_Basic()
    {
        HttpConnectRequest.TryParse(Message, Limit, out HttpConnectRequest request, out _, out _);
        HttpBasicCredentials.TryDecode(request.ProxyAuthorization, stackalloc byte[64], out ReadOnlySpan<byte> user, out ReadOnlySpan<byte> password);
        return user.Length + password.Length;
    }

    protected override int Encode(Span<byte> destination)
    {
        Head.CopyTo(destination);
        return Head.Length;
    }
}
