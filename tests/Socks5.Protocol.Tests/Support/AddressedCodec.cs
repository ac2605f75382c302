using System;
using System.Buffers;
using Socks5.Protocol.Wire;
using Xunit;

namespace Socks5.Protocol.Tests.Support;

/// <summary>
/// The three messages that are one byte of meaning and an address (request: CMD, reply: REP, UDP header: FRAG),
/// with that byte raw, so that their vector, round-trip and validation checks are written once.
/// </summary>
public sealed class AddressedCodec
{
    private AddressedCodec(WireParser parser, ParseFn parse, TryWriteFn tryWrite, WriteFn write, GetLengthFn getLength)
    {
        Parser = parser;
        Parse = parse;
        TryWrite = tryWrite;
        Write = write;
        GetLength = getLength;
    }

    public delegate OperationStatus ParseFn(ReadOnlySpan<byte> source, out byte field, out Socks5EndPoint endPoint, out int consumed, out ParseError error);

    public delegate bool TryWriteFn(byte field, Socks5EndPoint endPoint, Span<byte> destination, out int written);

    public delegate int WriteFn(IBufferWriter<byte> writer, byte field, Socks5EndPoint endPoint);

    public delegate int GetLengthFn(Socks5EndPoint endPoint);

    public static AddressedCodec Request { get; } = new(
        WireParser.Request,
        (ReadOnlySpan<byte> s, out byte f, out Socks5EndPoint e, out int c, out ParseError err) =>
        {
            OperationStatus status = Socks5Request.TryParse(s, out Socks5Request r, out c, out err);
            f = (byte)r.Command;
            e = r.Destination;
            return status;
        },
        (byte f, Socks5EndPoint e, Span<byte> d, out int w) => Socks5Request.TryWrite((Command)f, e, d, out w),
        (w, f, e) => Socks5Request.Write(w, (Command)f, e),
        e => Socks5Request.GetLength(e));

    public static AddressedCodec Reply { get; } = new(
        WireParser.Reply,
        (ReadOnlySpan<byte> s, out byte f, out Socks5EndPoint e, out int c, out ParseError err) =>
        {
            OperationStatus status = Socks5Reply.TryParse(s, out Socks5Reply r, out c, out err);
            f = (byte)r.ReplyCode;
            e = r.BoundAddress;
            return status;
        },
        (byte f, Socks5EndPoint e, Span<byte> d, out int w) => Socks5Reply.TryWrite((ReplyCode)f, e, d, out w),
        (w, f, e) => Socks5Reply.Write(w, (ReplyCode)f, e),
        e => Socks5Reply.GetLength(e));

    public static AddressedCodec UdpHeader { get; } = new(
        WireParser.UdpHeader,
        (ReadOnlySpan<byte> s, out byte f, out Socks5EndPoint e, out int c, out ParseError err) =>
        {
            OperationStatus status = Socks5UdpHeader.TryParse(s, out Socks5UdpHeader h, out c, out err);
            f = h.Fragment;
            e = h.Address;
            return status;
        },
        (byte f, Socks5EndPoint e, Span<byte> d, out int w) => Socks5UdpHeader.TryWrite(f, e, d, out w),
        (w, f, e) => Socks5UdpHeader.Write(w, f, e),
        e => Socks5UdpHeader.GetLength(e));

    public WireParser Parser { get; }

    public ParseFn Parse { get; }

    public TryWriteFn TryWrite { get; }

    public WriteFn Write { get; }

    public GetLengthFn GetLength { get; }

    /// <summary>The bytes parse to these fields, the fields write these bytes (every writer), and every split agrees.</summary>
    public void AssertVector(string hex, byte field, AddressType type, string addressHex, int port)
    {
        byte[] bytes = Hex.Parse(hex);
        Assert.Equal(OperationStatus.Done, Parse(bytes, out byte parsedField, out Socks5EndPoint endPoint, out int consumed, out ParseError error));
        Assert.Equal((bytes.Length, ParseError.None, field), (consumed, error, parsedField));
        AddressVectors.AssertEndPoint(endPoint, type, addressHex, port);

        byte[] address = Hex.Parse(addressHex);
        WriterChecks.AssertWrites(
            bytes,
            (Span<byte> d, out int w) => TryWrite(field, new Socks5EndPoint(type, address, (ushort)port), d, out w),
            writer => Write(writer, field, new Socks5EndPoint(type, address, (ushort)port)),
            GetLength(new Socks5EndPoint(type, address, (ushort)port)));
        SplitChecks.AssertMessageForEverySplit(Parser, bytes);
    }

    /// <summary>The round-trip property for any field and any address built from <paramref name="kind"/> and <paramref name="seed"/>.</summary>
    public void AssertRoundTrip(byte field, byte kind, byte[] seed, ushort port, byte[] trailing, int split)
    {
        (AddressType type, byte[] address) = AddressVectors.Build(kind, seed);
        var buffer = new byte[GetLength(new Socks5EndPoint(type, address, port))];
        Assert.True(TryWrite(field, new Socks5EndPoint(type, address, port), buffer, out _));

        Assert.Equal(OperationStatus.Done, Parse(buffer, out byte parsedField, out Socks5EndPoint endPoint, out _, out _));
        Assert.Equal(field, parsedField);
        AddressVectors.AssertEndPoint(endPoint, type, Hex.Format(address), port);
        SplitChecks.AssertParsesBack(Parser, buffer, trailing, split);
    }

    /// <summary>A <c>default</c> endpoint cannot be written by any writer, and nothing is written.</summary>
    public void AssertRejectsDefaultEndPoint() =>
        WriterChecks.AssertRejects(
            (Span<byte> d, out int w) => TryWrite(0, default, d, out w),
            writer => Write(writer, 0, default),
            () => GetLength(default));
}
