using System;
using System.Buffers;
using FsCheck.Xunit;
using Socks5.Protocol.Tests.Support;
using Socks5.Protocol.Wire;
using Xunit;

namespace Socks5.Protocol.Tests.Wire;

public class Socks4ReplyTests
{
    [Theory]
    [InlineData("00 5a 00 00 00 00 00 00", Socks4ReplyCode.RequestGranted, "00000000", 0)]
    [InlineData("00 5b 00 00 00 00 00 00", Socks4ReplyCode.RequestRejectedOrFailed, "00000000", 0)]
    [InlineData("00 5c 00 00 00 00 00 00", Socks4ReplyCode.CannotConnectToIdentd, "00000000", 0)]
    [InlineData("00 5d 00 00 00 00 00 00", Socks4ReplyCode.DifferentUserIds, "00000000", 0)]
    // BIND: where the server listens. RESOLVE (Tor): the address found.
    [InlineData("00 5a 04 d2 c0 a8 01 02", Socks4ReplyCode.RequestGranted, "c0a80102", 1234)]
    [InlineData("00 07 00 50 7f 00 00 01", (Socks4ReplyCode)7, "7f000001", 80)]
    public void Vector_parses_to_its_fields_and_the_fields_write_it(string hex, Socks4ReplyCode code, string addressHex, int port)
    {
        byte[] bytes = Hex.Parse(hex);
        Assert.Equal(OperationStatus.Done, Socks4Reply.TryParse(bytes, out Socks4Reply reply, out int consumed, out ParseError error));
        Assert.Equal((8, ParseError.None, code), (consumed, error, reply.ReplyCode));
        Assert.Equal(code == Socks4ReplyCode.RequestGranted, reply.Granted);
        AddressVectors.AssertEndPoint(reply.BoundAddress, AddressType.IPv4, addressHex, port);

        byte[] address = Hex.Parse(addressHex);
        WriterChecks.AssertWrites(
            bytes,
            (Span<byte> d, out int w) => Socks4Reply.TryWrite(code, new Socks5EndPoint(AddressType.IPv4, address, (ushort)port), d, out w),
            writer => Socks4Reply.Write(writer, code, new Socks5EndPoint(AddressType.IPv4, address, (ushort)port)));
        SplitChecks.AssertMessageForEverySplit(WireParser.Socks4Reply, bytes);
    }

    [Theory]
    [InlineData(90, Socks4ReplyCode.RequestGranted)]
    [InlineData(91, Socks4ReplyCode.RequestRejectedOrFailed)]
    [InlineData(92, Socks4ReplyCode.CannotConnectToIdentd)]
    [InlineData(93, Socks4ReplyCode.DifferentUserIds)]
    public void Codes_have_the_values_of_the_SOCKS4_document(int value, Socks4ReplyCode code) => Assert.Equal(value, (int)code);

    [Theory]
    [InlineData("04")]
    [InlineData("05 00 00 01 00 00 00 00 00 00")]
    [InlineData("04 5a 00 00 00 00 00 00")]
    public void A_reply_whose_VN_is_not_0_is_refused_at_once(string hex) =>
        SplitChecks.AssertSameForEverySplit(WireParser.Socks4Reply, Hex.Parse(hex), ParseOutcome.Invalid(ParseError.UnsupportedVersion));

    [Theory]
    [InlineData("")]
    [InlineData("00")]
    [InlineData("00 5a 00 50 7f 00 00")]
    public void Truncated_reply_needs_more_data(string hex) =>
        SplitChecks.AssertNeedsMoreDataForEverySplit(WireParser.Socks4Reply, Hex.Parse(hex));

    [Theory]
    [InlineData(AddressType.IPv6, "00000000000000000000000000000001")]
    [InlineData(AddressType.DomainName, "61")]
    public void Writer_refuses_an_address_that_is_not_IPv4(AddressType type, string addressHex)
    {
        byte[] address = Hex.Parse(addressHex);
        WriterChecks.AssertRejects(
            (Span<byte> d, out int w) => Socks4Reply.TryWrite(Socks4ReplyCode.RequestGranted, new Socks5EndPoint(type, address, 1), d, out w),
            writer => Socks4Reply.Write(writer, Socks4ReplyCode.RequestGranted, new Socks5EndPoint(type, address, 1)));
    }

    [Property]
    public void Any_reply_round_trips(byte code, uint address, ushort port, byte[] trailing, int split)
    {
        byte[] bytes = BitConverter.GetBytes(address);
        var buffer = new byte[Socks4Reply.Length];
        Assert.True(Socks4Reply.TryWrite((Socks4ReplyCode)code, new Socks5EndPoint(AddressType.IPv4, bytes, port), buffer, out _));
        ParseOutcome outcome = SplitChecks.AssertParsesBack(WireParser.Socks4Reply, buffer, trailing, split);
        Assert.Equal($"{code:X2} 01 {Hex.Format(bytes)} {port}", outcome.Fields);
    }
}
