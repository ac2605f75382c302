using System;
using BenchmarkDotNet.Attributes;
using Socks5.Protocol.Wire;

namespace Socks5.Protocol.Benchmarks;

/// <summary>
/// What the request, the reply and the UDP header share: an address of each type (127.0.0.1, a 15-byte
/// name, ::1) and port 8000.
/// </summary>
public abstract class AddressedBenchmarks : CodecBenchmarks
{
    protected const ushort Port = 8000;

    private byte[] _address = null!;

    [Params(AddressType.IPv4, AddressType.DomainName, AddressType.IPv6)]
    public AddressType Address { get; set; }

    // Built per call, as a caller does: the constructor validates the address length.
    protected Socks5EndPoint EndPoint => new(Address, _address, Port);

    protected override int MaxLength => Socks5Request.MaxLength;

    protected override void Prepare() => _address = Address switch
    {
        AddressType.IPv4 => [127, 0, 0, 1],
        AddressType.IPv6 => [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
        _ => "www.example.com"u8.ToArray(),
    };
}

/// <summary>The request (RFC 1928 §4): CONNECT.</summary>
public class RequestBenchmarks : AddressedBenchmarks
{
    [Benchmark]
    public int Parse_Span()
    {
        Socks5Request.TryParse(Message, out Socks5Request request, out int consumed, out _);
        return consumed + request.Destination.Port;
    }

    [Benchmark]
    public int Parse_Sequence()
    {
        Socks5Request.TryParse(Sequence, stackalloc byte[Socks5Request.MaxLength], out Socks5Request request, out int consumed, out _);
        return consumed + request.Destination.Port;
    }

    [Benchmark]
    public int TryWrite() => WriteTo(Destination);

    [Benchmark]
    public int Write_BufferWriter()
    {
        Writer.ResetWrittenCount();
        return Socks5Request.Write(Writer, Command.Connect, EndPoint);
    }

    protected override int Encode(Span<byte> destination) => WriteTo(destination);

    private int WriteTo(Span<byte> destination)
    {
        Socks5Request.TryWrite(Command.Connect, EndPoint, destination, out int written);
        return written;
    }
}

/// <summary>The reply (RFC 1928 §6): succeeded, with the bound address.</summary>
public class ReplyBenchmarks : AddressedBenchmarks
{
    [Benchmark]
    public int Parse_Span()
    {
        Socks5Reply.TryParse(Message, out Socks5Reply reply, out int consumed, out _);
        return consumed + reply.BoundAddress.Port;
    }

    [Benchmark]
    public int Parse_Sequence()
    {
        Socks5Reply.TryParse(Sequence, stackalloc byte[Socks5Reply.MaxLength], out Socks5Reply reply, out int consumed, out _);
        return consumed + reply.BoundAddress.Port;
    }

    [Benchmark]
    public int TryWrite() => WriteTo(Destination);

    [Benchmark]
    public int Write_BufferWriter()
    {
        Writer.ResetWrittenCount();
        return Socks5Reply.Write(Writer, ReplyCode.Succeeded, EndPoint);
    }

    protected override int Encode(Span<byte> destination) => WriteTo(destination);

    private int WriteTo(Span<byte> destination)
    {
        Socks5Reply.TryWrite(ReplyCode.Succeeded, EndPoint, destination, out int written);
        return written;
    }
}

/// <summary>The UDP request header (RFC 1928 §7): a whole datagram (FRAG 0); DATA is not part of the benchmark.</summary>
public class UdpHeaderBenchmarks : AddressedBenchmarks
{
    [Benchmark]
    public int Parse_Span()
    {
        Socks5UdpHeader.TryParse(Message, out Socks5UdpHeader header, out int consumed, out _);
        return consumed + header.Address.Port;
    }

    [Benchmark]
    public int Parse_Sequence()
    {
        Socks5UdpHeader.TryParse(Sequence, stackalloc byte[Socks5UdpHeader.MaxLength], out Socks5UdpHeader header, out int consumed, out _);
        return consumed + header.Address.Port;
    }

    [Benchmark]
    public int TryWrite() => WriteTo(Destination);

    [Benchmark]
    public int Write_BufferWriter()
    {
        Writer.ResetWrittenCount();
        return Socks5UdpHeader.Write(Writer, 0, EndPoint);
    }

    protected override int Encode(Span<byte> destination) => WriteTo(destination);

    private int WriteTo(Span<byte> destination)
    {
        Socks5UdpHeader.TryWrite(0, EndPoint, destination, out int written);
        return written;
    }
}
