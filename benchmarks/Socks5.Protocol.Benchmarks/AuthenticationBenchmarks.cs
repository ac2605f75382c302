using System;
using System.Buffers;
using BenchmarkDotNet.Attributes;
using Socks5.Protocol.Wire;

namespace Socks5.Protocol.Benchmarks;

/// <summary>The RFC 1929 request, with a 5-byte user name and a 15-byte password.</summary>
public class UsernamePasswordRequestBenchmarks : CodecBenchmarks
{
    private readonly byte[] _userName = "alice"u8.ToArray();
    private readonly byte[] _password = "correct-horse-1"u8.ToArray();

    protected override int MaxLength => UsernamePasswordRequest.MaxLength;

    [Benchmark]
    public int Parse_Span()
    {
        UsernamePasswordRequest.TryParse(Message, out UsernamePasswordRequest request, out int consumed, out _);
        return consumed + request.Password.Length;
    }

    [Benchmark]
    public int Parse_Sequence()
    {
        UsernamePasswordRequest.TryParse(Sequence, stackalloc byte[UsernamePasswordRequest.MaxLength], out UsernamePasswordRequest request, out int consumed, out _);
        return consumed + request.Password.Length;
    }

    [Benchmark]
    public int TryWrite() => WriteTo(Destination);

    [Benchmark]
    public int Write_BufferWriter()
    {
        Writer.ResetWrittenCount();
        return UsernamePasswordRequest.Write(Writer, _userName, _password);
    }

    protected override int Encode(Span<byte> destination) => WriteTo(destination);

    private int WriteTo(Span<byte> destination)
    {
        UsernamePasswordRequest.TryWrite(_userName, _password, destination, out int written);
        return written;
    }
}

/// <summary>The RFC 1929 status reply: a fixed two bytes.</summary>
public class UsernamePasswordReplyBenchmarks : CodecBenchmarks
{
    protected override int MaxLength => UsernamePasswordReply.Length;

    [Benchmark]
    public int Parse_Span()
    {
        UsernamePasswordReply.TryParse(Message, out UsernamePasswordReply reply, out int consumed, out _);
        return consumed + reply.Status;
    }

    [Benchmark]
    public int Parse_Sequence()
    {
        UsernamePasswordReply.TryParse(Sequence, out UsernamePasswordReply reply, out int consumed, out _);
        return consumed + reply.Status;
    }

    [Benchmark]
    public int TryWrite() => WriteTo(Destination);

    [Benchmark]
    public int Write_BufferWriter()
    {
        Writer.ResetWrittenCount();
        return UsernamePasswordReply.Write(Writer, UsernamePasswordReply.Success);
    }

    protected override int Encode(Span<byte> destination) => WriteTo(destination);

    private int WriteTo(Span<byte> destination)
    {
        UsernamePasswordReply.TryWrite(UsernamePasswordReply.Success, destination, out int written);
        return written;
    }
}

/// <summary>
/// An RFC 1961 authentication message with a 64-byte token. The sequence parser hands the token back as a
/// slice of the sequence, so its cost does not grow with the token.
/// </summary>
public class GssapiMessageBenchmarks : CodecBenchmarks
{
    private const int TokenLength = 64;

    private readonly byte[] _token = new byte[TokenLength];

    protected override int MaxLength => GssapiMessage.HeaderLength + TokenLength;

    [Benchmark]
    public int Parse_Span()
    {
        GssapiMessage.TryParse(Message, out GssapiMessage message, out int consumed, out _);
        return consumed + message.Token.Length;
    }

    [Benchmark]
    public int Parse_Sequence()
    {
        GssapiMessage.TryParse(Sequence, GssapiMessage.MaxTokenLength, out _, out ReadOnlySequence<byte> token, out int consumed, out _);
        return consumed + (int)token.Length;
    }

    [Benchmark]
    public int TryWrite() => WriteTo(Destination);

    [Benchmark]
    public int Write_BufferWriter()
    {
        Writer.ResetWrittenCount();
        return GssapiMessage.Write(Writer, GssapiMessageType.Authentication, _token);
    }

    protected override void Prepare() => new Random(1961).NextBytes(_token);

    protected override int Encode(Span<byte> destination) => WriteTo(destination);

    private int WriteTo(Span<byte> destination)
    {
        GssapiMessage.TryWrite(GssapiMessageType.Authentication, _token, destination, out int written);
        return written;
    }
}
