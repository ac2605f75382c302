using System;
using System.Buffers;
using System.Linq;
using FsCheck.Xunit;
using Socks5.Protocol.Tests.Support;
using Socks5.Protocol.Wire;
using Xunit;

namespace Socks5.Protocol.Tests.Wire;

public class Socks4RequestTests
{
    private static readonly string UserId255 = string.Concat(Enumerable.Repeat("75", 255));
    private static readonly string Name255 = AddressVectors.LongestNameHex;

    [Theory]
    // SOCKS4 CONNECT 127.0.0.1:80, USERID "fred".
    [InlineData("04 01 00 50 7f 00 00 01 66 72 65 64 00", Command.Connect, AddressType.IPv4, "7f000001", 80, "66726564")]
    // SOCKS4 BIND 192.168.1.2:1234, empty USERID.
    [InlineData("04 02 04 d2 c0 a8 01 02 00", Command.Bind, AddressType.IPv4, "c0a80102", 1234, "")]
    // DSTIP 0.0.0.0: x is 0, so this is SOCKS4 to 0.0.0.0, not SOCKS4a.
    [InlineData("04 01 00 16 00 00 00 00 00", Command.Connect, AddressType.IPv4, "00000000", 22, "")]
    // SOCKS4a CONNECT example.com:443, empty USERID.
    [InlineData("04 01 01 bb 00 00 00 01 00 65 78 61 6d 70 6c 65 2e 63 6f 6d 00", Command.Connect, AddressType.DomainName, "6578616d706c652e636f6d", 443, "")]
    // Tor's RESOLVE over SOCKS4a, USERID "a".
    [InlineData("04 f0 00 00 00 00 00 01 61 00 61 2e 62 00", Command.Resolve, AddressType.DomainName, "612e62", 0, "61")]
    public void Vector_parses_to_its_fields_and_the_fields_write_it(string hex, Command command, AddressType type, string addressHex, int port, string userIdHex)
    {
        byte[] bytes = Hex.Parse(hex);
        Assert.Equal(OperationStatus.Done, Socks4Request.TryParse(bytes, out Socks4Request request, out int consumed, out ParseError error));
        Assert.Equal((bytes.Length, ParseError.None, command), (consumed, error, request.Command));
        AddressVectors.AssertEndPoint(request.Destination, type, addressHex, port);
        Assert.Equal(userIdHex, Hex.Format(request.UserId), ignoreCase: true);
        Assert.Equal(type == AddressType.DomainName, request.IsSocks4a);

        byte[] address = Hex.Parse(addressHex);
        byte[] userId = Hex.Parse(userIdHex);
        WriterChecks.AssertWrites(
            bytes,
            (Span<byte> d, out int w) => Socks4Request.TryWrite(command, new Socks5EndPoint(type, address, (ushort)port), userId, d, out w),
            writer => Socks4Request.Write(writer, command, new Socks5EndPoint(type, address, (ushort)port), userId),
            Socks4Request.GetLength(new Socks5EndPoint(type, address, (ushort)port), userId));
        SplitChecks.AssertMessageForEverySplit(WireParser.Socks4Request, bytes);
    }

    [Fact]
    public void The_SOCKS4a_marker_may_be_any_non_zero_x()
    {
        SplitChecks.AssertMessageForEverySplit(WireParser.Socks4Request, Hex.Parse("04 01 00 50 00 00 00 ff 00 61 00"));
        Assert.Equal(OperationStatus.Done, Socks4Request.TryParse(Hex.Parse("04 01 00 50 00 00 00 ff 00 61 00"), out Socks4Request request, out _, out _));
        Assert.Equal(AddressType.DomainName, request.Destination.AddressType);
    }

    [Fact]
    public void A_255_byte_USERID_and_a_255_byte_name_make_MaxLength()
    {
        byte[] bytes = Hex.Parse("04 01 00 50 00 00 00 01 " + UserId255 + " 00 " + Name255 + " 00");
        Assert.Equal(Socks4Request.MaxLength, bytes.Length);
        ParseOutcome outcome = SplitChecks.AssertMessageForEverySplit(WireParser.Socks4Request, bytes);
        Assert.Equal(Socks4Request.MaxLength, outcome.Consumed);
    }

    [Theory]
    [InlineData("05", ParseError.UnsupportedVersion)]
    [InlineData("00 01 00 50 7f 00 00 01 00", ParseError.UnsupportedVersion)]
    [InlineData("05 01 00 01 7f 00 00 01 1f 40", ParseError.UnsupportedVersion)]
    [InlineData("04 01 00 50 00 00 00 01 00 00", ParseError.EmptyDomainName)]
    public void Invalid_request_is_refused_as_soon_as_the_bad_byte_is_read(string hex, ParseError expected) =>
        SplitChecks.AssertSameForEverySplit(WireParser.Socks4Request, Hex.Parse(hex), ParseOutcome.Invalid(expected));

    [Fact]
    public void A_256_byte_USERID_is_refused_once_its_256th_byte_is_not_NUL() =>
        SplitChecks.AssertSameForEverySplit(WireParser.Socks4Request, Hex.Parse("04 01 00 50 7f 00 00 01 " + UserId255 + " 75"), ParseOutcome.Invalid(ParseError.UserIdTooLong));

    [Fact]
    public void A_256_byte_name_is_refused_once_its_256th_byte_is_not_NUL() =>
        SplitChecks.AssertSameForEverySplit(WireParser.Socks4Request, Hex.Parse("04 01 00 50 00 00 00 01 00 " + Name255 + " 61"), ParseOutcome.Invalid(ParseError.DomainNameTooLong));

    [Theory]
    [InlineData("")]
    [InlineData("04")]
    [InlineData("04 01 00 50 7f 00 00")]
    [InlineData("04 01 00 50 7f 00 00 01")]
    [InlineData("04 01 00 50 7f 00 00 01 66 72 65 64")]
    [InlineData("04 01 00 50 00 00 00 01 00")]
    [InlineData("04 01 00 50 00 00 00 01 00 61 62")]
    public void Truncated_request_needs_more_data(string hex) =>
        SplitChecks.AssertNeedsMoreDataForEverySplit(WireParser.Socks4Request, Hex.Parse(hex));

    [Fact]
    public void A_255_byte_USERID_without_its_NUL_yet_needs_more_data() =>
        SplitChecks.AssertNeedsMoreDataForEverySplit(WireParser.Socks4Request, Hex.Parse("04 01 00 50 7f 00 00 01 " + UserId255));

    [Theory]
    [InlineData(AddressType.IPv6, "00000000000000000000000000000001", "")]
    [InlineData(AddressType.IPv4, "00000001", "")]
    [InlineData(AddressType.IPv4, "000000ff", "")]
    [InlineData(AddressType.IPv4, "7f000001", "6100")]
    [InlineData(AddressType.DomainName, "610062", "")]
    public void Writer_refuses_what_SOCKS4_cannot_say(AddressType type, string addressHex, string userIdHex)
    {
        byte[] address = Hex.Parse(addressHex);
        byte[] userId = Hex.Parse(userIdHex);
        WriterChecks.AssertRejects(
            (Span<byte> d, out int w) => Socks4Request.TryWrite(Command.Connect, new Socks5EndPoint(type, address, 1), userId, d, out w),
            writer => Socks4Request.Write(writer, Command.Connect, new Socks5EndPoint(type, address, 1), userId),
            () => Socks4Request.GetLength(new Socks5EndPoint(type, address, 1), userId));
    }

    [Fact]
    public void Writer_refuses_a_256_byte_USERID_and_a_default_endpoint()
    {
        byte[] address = { 127, 0, 0, 1 };
        WriterChecks.AssertRejects(
            (Span<byte> d, out int w) => Socks4Request.TryWrite(Command.Connect, new Socks5EndPoint(AddressType.IPv4, address, 1), new byte[256], d, out w),
            writer => Socks4Request.Write(writer, Command.Connect, new Socks5EndPoint(AddressType.IPv4, address, 1), new byte[256]));
        WriterChecks.AssertRejects(
            (Span<byte> d, out int w) => Socks4Request.TryWrite(Command.Connect, default, default, d, out w),
            writer => Socks4Request.Write(writer, Command.Connect, default, default));
    }

    [Property]
    public void Any_request_round_trips(byte command, bool named, byte[] seed, ushort port, byte[] userSeed, byte[] trailing, int split)
    {
        // NUL ends USERID and the name, so the generated ones have none; 0.0.0.x announces SOCKS4a, so IPv4 avoids it.
        byte[] Clean(byte[]? bytes, int max) => (bytes ?? Array.Empty<byte>()).Select(b => b == 0 ? (byte)1 : b).Take(max).ToArray();
        byte[] userId = Clean(userSeed, 255);
        byte[] address = named ? Clean(seed, 255) : Clean(seed, 4).Concat(new byte[] { 1, 1, 1, 1 }).Take(4).ToArray();
        if (named && address.Length == 0)
        {
            address = new byte[] { 0x61 };
        }

        var endPoint = new Socks5EndPoint(named ? AddressType.DomainName : AddressType.IPv4, address, port);
        var buffer = new byte[Socks4Request.GetLength(endPoint, userId)];
        Assert.True(Socks4Request.TryWrite((Command)command, endPoint, userId, buffer, out int written));
        Assert.Equal(buffer.Length, written);

        Assert.Equal(OperationStatus.Done, Socks4Request.TryParse(buffer, out Socks4Request request, out _, out _));
        Assert.Equal((Command)command, request.Command);
        Assert.Equal(Hex.Format(userId), Hex.Format(request.UserId));
        AddressVectors.AssertEndPoint(request.Destination, endPoint.AddressType, Hex.Format(address), port);
        SplitChecks.AssertParsesBack(WireParser.Socks4Request, buffer, trailing, split);
    }

    [Property]
    public void A_parsed_request_writes_back_the_same_bytes(byte[] input)
    {
        // One encoding per request, but for the SOCKS4a marker: the writer always sends 0.0.0.1.
        input = new byte[] { 4 }.Concat(input ?? Array.Empty<byte>()).ToArray();
        if (Socks4Request.TryParse(input, out Socks4Request request, out int consumed, out _) != OperationStatus.Done
            || (request.IsSocks4a && input[7] != 1))
        {
            return;
        }

        var buffer = new byte[Socks4Request.GetLength(request.Destination, request.UserId)];
        Assert.True(Socks4Request.TryWrite(request.Command, request.Destination, request.UserId, buffer, out int written));
        Assert.Equal(Hex.Format(input.AsSpan(0, consumed)), Hex.Format(buffer.AsSpan(0, written)));
    }
}
