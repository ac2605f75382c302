using System;
using System.Buffers;
using System.Linq;
using FsCheck.Xunit;
using Socks5.Protocol.Tests.Support;
using Socks5.Protocol.Wire;
using Xunit;

namespace Socks5.Protocol.Tests.Wire;

public class Socks5UdpHeaderTests
{
    [Theory]
    [InlineData("00 00 00 01 7f 00 00 01 00 35", 0, AddressType.IPv4, "7f000001", 53)]
    [InlineData("00 00 00 04 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 01 30 39", 0, AddressType.IPv6, "00000000000000000000000000000001", 12345)]
    [InlineData("00 00 00 03 09 6c 6f 63 61 6c 68 6f 73 74 00 07", 0, AddressType.DomainName, "6c6f63616c686f7374", 7)]
    [InlineData("00 00 01 01 0a 00 00 02 ff ff", 1, AddressType.IPv4, "0a000002", 65535)]
    [InlineData("00 00 ff 01 0a 00 00 02 00 01", 255, AddressType.IPv4, "0a000002", 1)]
    public void Vector_parses_to_its_fields_and_the_fields_write_it(string hex, int fragment, AddressType type, string addressHex, int port) =>
        AddressedCodec.UdpHeader.AssertVector(hex, (byte)fragment, type, addressHex, port);

    [Theory]
    [MemberData(nameof(AddressVectors.All), MemberType = typeof(AddressVectors))]
    public void Every_address_form_round_trips(string addressBytes, AddressType type, string addressHex, int port) =>
        Vector_parses_to_its_fields_and_the_fields_write_it("00 00 00 " + addressBytes, 0, type, addressHex, port);

    [Fact]
    public void Bytes_consumed_is_the_offset_of_the_payload()
    {
        byte[] payload = Hex.Parse("de ad be ef 00 01");
        byte[] datagram = Hex.Parse("00 00 00 01 7f 00 00 01 00 35").Concat(payload).ToArray();

        Assert.Equal(OperationStatus.Done, Socks5UdpHeader.TryParse(datagram, out _, out int offset, out _));
        Assert.Equal(10, offset);
        Assert.Equal(Hex.Format(payload), Hex.Format(datagram.AsSpan(offset)));

        Span<byte> scratch = stackalloc byte[Socks5UdpHeader.MaxLength];
        foreach (ReadOnlySequence<byte> sequence in Segments.AllSplits(datagram))
        {
            Assert.Equal(OperationStatus.Done, Socks5UdpHeader.TryParse(sequence, scratch, out Socks5UdpHeader header, out offset, out _));
            Assert.Equal(10, offset);
            Assert.Equal("7F000001", Hex.Format(header.Address.Address));
            Assert.Equal(Hex.Format(payload), Hex.Format(sequence.Slice(offset).ToArray()));
        }
    }

    [Theory]
    [InlineData("01", ParseError.NonZeroReserved)]
    [InlineData("00 01", ParseError.NonZeroReserved)]
    [InlineData("80 00 00 01 7f 00 00 01 00 35", ParseError.NonZeroReserved)]
    [InlineData("00 00 00 02", ParseError.UnknownAddressType)]
    [InlineData("00 00 00 05 00 00", ParseError.UnknownAddressType)]
    [InlineData("00 00 00 03 00", ParseError.EmptyDomainName)]
    public void Invalid_header_is_refused_as_soon_as_the_bad_byte_is_read(string hex, ParseError expected) =>
        SplitChecks.AssertSameForEverySplit(WireParser.UdpHeader, Hex.Parse(hex), ParseOutcome.Invalid(expected));

    [Theory]
    [InlineData("")]
    [InlineData("00")]
    [InlineData("00 00")]
    [InlineData("00 00 00")]
    [InlineData("00 00 00 01 7f 00 00 01 00")]
    [InlineData("00 00 00 03")]
    public void Truncated_datagram_needs_more_data(string hex) =>
        SplitChecks.AssertNeedsMoreDataForEverySplit(WireParser.UdpHeader, Hex.Parse(hex));

    [Fact]
    public void Writer_refuses_a_default_endpoint() => AddressedCodec.UdpHeader.AssertRejectsDefaultEndPoint();

    [Property]
    public void Any_header_round_trips_and_leaves_the_payload(byte fragment, byte kind, byte[] seed, ushort port, byte[] payload, int split) =>
        AddressedCodec.UdpHeader.AssertRoundTrip(fragment, kind, seed, port, payload, split);
}
