using System;
using System.Buffers;
using FsCheck.Xunit;
using Socks5.Protocol.Tests.Support;
using Socks5.Protocol.Wire;
using Xunit;

namespace Socks5.Protocol.Tests.Wire;

public class Socks5RequestTests
{
    [Theory]
    [InlineData("05 01 00 01 7f 00 00 01 1f 40", Command.Connect, AddressType.IPv4, "7f000001", 8000)]
    [InlineData("05 01 00 03 0b 65 78 61 6d 70 6c 65 2e 63 6f 6d 01 bb", Command.Connect, AddressType.DomainName, "6578616d706c652e636f6d", 443)]
    [InlineData("05 02 00 04 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 01 00 50", Command.Bind, AddressType.IPv6, "00000000000000000000000000000001", 80)]
    [InlineData("05 02 00 01 c0 a8 01 02 04 d2", Command.Bind, AddressType.IPv4, "c0a80102", 1234)]
    [InlineData("05 03 00 01 00 00 00 00 00 00", Command.UdpAssociate, AddressType.IPv4, "00000000", 0)]
    [InlineData("05 09 00 01 0a 00 00 01 00 16", (Command)0x09, AddressType.IPv4, "0a000001", 22)]
    [InlineData("05 00 00 03 01 61 ff ff", (Command)0x00, AddressType.DomainName, "61", 65535)]
    public void Vector_parses_to_its_fields_and_the_fields_write_it(string hex, Command command, AddressType type, string addressHex, int port) =>
        AddressedCodec.Request.AssertVector(hex, (byte)command, type, addressHex, port);

    [Theory]
    [MemberData(nameof(AddressVectors.All), MemberType = typeof(AddressVectors))]
    public void Every_address_form_round_trips(string addressBytes, AddressType type, string addressHex, int port) =>
        Vector_parses_to_its_fields_and_the_fields_write_it("05 01 00 " + addressBytes, Command.Connect, type, addressHex, port);

    [Fact]
    public void A_request_for_a_255_byte_name_is_MaxLength() =>
        Assert.Equal(Socks5Request.MaxLength, Socks5Request.GetLength(new Socks5EndPoint(AddressType.DomainName, new byte[255], 1)));

    [Theory]
    [InlineData("04", ParseError.UnsupportedVersion)]
    [InlineData("04 01 00 01 7f 00 00 01 1f 40", ParseError.UnsupportedVersion)]
    [InlineData("01 01 00 01 7f 00 00 01 1f 40", ParseError.UnsupportedVersion)]
    [InlineData("05 01 01", ParseError.NonZeroReserved)]
    [InlineData("05 01 ff 01 7f 00 00 01 1f 40", ParseError.NonZeroReserved)]
    [InlineData("05 01 00 00", ParseError.UnknownAddressType)]
    [InlineData("05 01 00 02", ParseError.UnknownAddressType)]
    [InlineData("05 01 00 09", ParseError.UnknownAddressType)]
    [InlineData("05 01 00 ff 00 00", ParseError.UnknownAddressType)]
    [InlineData("05 01 00 03 00", ParseError.EmptyDomainName)]
    [InlineData("05 01 00 03 00 00 50", ParseError.EmptyDomainName)]
    public void Invalid_request_is_refused_as_soon_as_the_bad_byte_is_read(string hex, ParseError expected) =>
        SplitChecks.AssertSameForEverySplit(WireParser.Request, Hex.Parse(hex), ParseOutcome.Invalid(expected));

    [Theory]
    [InlineData("")]
    [InlineData("05")]
    [InlineData("05 01")]
    [InlineData("05 01 00")]
    [InlineData("05 01 00 01 7f 00 00 01 1f")]
    [InlineData("05 01 00 03")]
    [InlineData("05 01 00 03 05 61 62 63 64 65 00")]
    [InlineData("05 01 00 04 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00")]
    public void Truncated_request_needs_more_data(string hex) =>
        SplitChecks.AssertNeedsMoreDataForEverySplit(WireParser.Request, Hex.Parse(hex));

    [Theory]
    [InlineData(ParseError.UnknownAddressType, ReplyCode.AddressTypeNotSupported)]
    [InlineData(ParseError.UnsupportedVersion, ReplyCode.GeneralFailure)]
    [InlineData(ParseError.NonZeroReserved, ReplyCode.GeneralFailure)]
    [InlineData(ParseError.EmptyDomainName, ReplyCode.GeneralFailure)]
    public void A_parse_error_maps_to_the_reply_a_server_owes(ParseError error, ReplyCode expected) =>
        Assert.Equal(expected, error.ToReplyCode());

    [Fact]
    public void Writer_refuses_a_default_endpoint() => AddressedCodec.Request.AssertRejectsDefaultEndPoint();

    [Property]
    public void Any_request_round_trips(byte command, byte kind, byte[] seed, ushort port, byte[] trailing, int split) =>
        AddressedCodec.Request.AssertRoundTrip(command, kind, seed, port, trailing, split);
}
