using System;
using BenchmarkDotNet.Attributes;
using Socks5.Protocol.Wire;

namespace Socks5.Protocol.Benchmarks;

/// <summary>The greeting (RFC 1928 §3): what curl offers, no authentication and username/password.</summary>
public class GreetingBenchmarks : CodecBenchmarks
{
    private readonly AuthenticationMethod[] _methods = [AuthenticationMethod.NoAuthenticationRequired, AuthenticationMethod.UsernamePassword];

    protected override int MaxLength => Socks5Greeting.MaxLength;

    [Benchmark]
    public int Parse_Span()
    {
        Socks5Greeting.TryParse(Message, out Socks5Greeting greeting, out int consumed, out _);
        return consumed + greeting.RawMethods.Length;
    }

    [Benchmark]
    public int Parse_Sequence()
    {
        Socks5Greeting.TryParse(Sequence, stackalloc byte[Socks5Greeting.MaxLength], out Socks5Greeting greeting, out int consumed, out _);
        return consumed + greeting.RawMethods.Length;
    }

    [Benchmark]
    public int TryWrite() => WriteTo(Destination);

    [Benchmark]
    public int Write_BufferWriter()
    {
        Writer.ResetWrittenCount();
        return Socks5Greeting.Write(Writer, _methods);
    }

    protected override int Encode(Span<byte> destination) => WriteTo(destination);

    // Not virtual, so that the TryWrite benchmark measures the writer and not a virtual call.
    private int WriteTo(Span<byte> destination)
    {
        Socks5Greeting.TryWrite(_methods, destination, out int written);
        return written;
    }
}

/// <summary>The server's method selection (RFC 1928 §3): a fixed two bytes.</summary>
public class MethodSelectionBenchmarks : CodecBenchmarks
{
    protected override int MaxLength => Socks5MethodSelection.Length;

    [Benchmark]
    public int Parse_Span()
    {
        Socks5MethodSelection.TryParse(Message, out Socks5MethodSelection selection, out int consumed, out _);
        return consumed + (int)selection.Method;
    }

    [Benchmark]
    public int Parse_Sequence()
    {
        Socks5MethodSelection.TryParse(Sequence, out Socks5MethodSelection selection, out int consumed, out _);
        return consumed + (int)selection.Method;
    }

    [Benchmark]
    public int TryWrite() => WriteTo(Destination);

    [Benchmark]
    public int Write_BufferWriter()
    {
        Writer.ResetWrittenCount();
        return Socks5MethodSelection.Write(Writer, AuthenticationMethod.UsernamePassword);
    }

    protected override int Encode(Span<byte> destination) => WriteTo(destination);

    private int WriteTo(Span<byte> destination)
    {
        Socks5MethodSelection.TryWrite(AuthenticationMethod.UsernamePassword, destination, out int written);
        return written;
    }
}
