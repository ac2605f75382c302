using System;
using System.Buffers;
using FsCheck.Xunit;
using Socks5.Protocol.Tests.Support;
using Socks5.Protocol.Wire;
using Xunit;

namespace Socks5.Protocol.Tests.Wire;

public class Socks5ReplyTests
{
    [Theory]
    [InlineData("05 00 00 01 00 00 00 00 10 10", ReplyCode.Succeeded, AddressType.IPv4, "00000000", 4112)]
    [InlineData("05 00 00 04 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 01 c3 50", ReplyCode.Succeeded, AddressType.IPv6, "00000000000000000000000000000001", 50000)]
    [InlineData("05 00 00 03 09 6c 6f 63 61 6c 68 6f 73 74 04 38", ReplyCode.Succeeded, AddressType.DomainName, "6c6f63616c686f7374", 1080)]
    [InlineData("05 01 00 01 00 00 00 00 00 00", ReplyCode.GeneralFailure, AddressType.IPv4, "00000000", 0)]
    [InlineData("05 02 00 01 00 00 00 00 00 00", ReplyCode.ConnectionNotAllowed, AddressType.IPv4, "00000000", 0)]
    [InlineData("05 05 00 01 00 00 00 00 00 00", ReplyCode.ConnectionRefused, AddressType.IPv4, "00000000", 0)]
    [InlineData("05 07 00 01 00 00 00 00 00 00", ReplyCode.CommandNotSupported, AddressType.IPv4, "00000000", 0)]
    [InlineData("05 08 00 01 00 00 00 00 00 00", ReplyCode.AddressTypeNotSupported, AddressType.IPv4, "00000000", 0)]
    [InlineData("05 f3 00 01 7f 00 00 01 00 50", (ReplyCode)0xF3, AddressType.IPv4, "7f000001", 80)]
    [InlineData("05 ff 00 01 7f 00 00 01 00 50", (ReplyCode)0xFF, AddressType.IPv4, "7f000001", 80)]
    public void Vector_parses_to_its_fields_and_the_fields_write_it(string hex, ReplyCode code, AddressType type, string addressHex, int port) =>
        AddressedCodec.Reply.AssertVector(hex, (byte)code, type, addressHex, port);

    [Theory]
    [MemberData(nameof(AddressVectors.All), MemberType = typeof(AddressVectors))]
    public void Every_address_form_round_trips(string addressBytes, AddressType type, string addressHex, int port) =>
        Vector_parses_to_its_fields_and_the_fields_write_it("05 00 00 " + addressBytes, ReplyCode.Succeeded, type, addressHex, port);

    [Theory]
    [InlineData("06", ParseError.UnsupportedVersion)]
    [InlineData("04 00 00 01 00 00 00 00 00 00", ParseError.UnsupportedVersion)]
    [InlineData("05 00 01", ParseError.NonZeroReserved)]
    [InlineData("05 00 80 01 00 00 00 00 00 00", ParseError.NonZeroReserved)]
    [InlineData("05 00 00 05", ParseError.UnknownAddressType)]
    [InlineData("05 00 00 00 00 00 00 00 00 00", ParseError.UnknownAddressType)]
    [InlineData("05 00 00 03 00", ParseError.EmptyDomainName)]
    public void Invalid_reply_is_refused_as_soon_as_the_bad_byte_is_read(string hex, ParseError expected) =>
        SplitChecks.AssertSameForEverySplit(WireParser.Reply, Hex.Parse(hex), ParseOutcome.Invalid(expected));

    [Theory]
    [InlineData("")]
    [InlineData("05")]
    [InlineData("05 00 00")]
    [InlineData("05 00 00 01 00 00 00 00 10")]
    [InlineData("05 00 00 03 ff 61 61")]
    public void Truncated_reply_needs_more_data(string hex) =>
        SplitChecks.AssertNeedsMoreDataForEverySplit(WireParser.Reply, Hex.Parse(hex));

    [Fact]
    public void Writer_refuses_a_default_endpoint() => AddressedCodec.Reply.AssertRejectsDefaultEndPoint();

    [Property]
    public void Any_reply_round_trips(byte code, byte kind, byte[] seed, ushort port, byte[] trailing, int split) =>
        AddressedCodec.Reply.AssertRoundTrip(code, kind, seed, port, trailing, split);
}
