using System;
using System.Buffers;
using System.Linq;
using FsCheck.Xunit;
using Socks5.Protocol.Tests.Support;
using Socks5.Protocol.Wire;
using Xunit;

namespace Socks5.Protocol.Tests.Wire;

public class GssapiMessageTests
{
    [Theory]
    [InlineData("01 01 00 04 de ad be ef", GssapiMessageType.Authentication, "deadbeef")]
    [InlineData("01 01 00 00", GssapiMessageType.Authentication, "")]
    [InlineData("01 02 00 01 01", GssapiMessageType.ProtectionLevelNegotiation, "01")]
    [InlineData("01 03 00 03 aa bb cc", GssapiMessageType.EncapsulatedMessage, "aabbcc")]
    [InlineData("01 ff", GssapiMessageType.Abort, "")]
    public void Vector_parses_to_its_type_and_token_and_they_write_it(string hex, GssapiMessageType type, string tokenHex)
    {
        byte[] bytes = Hex.Parse(hex);
        byte[] token = Hex.Parse(tokenHex);

        Assert.Equal(OperationStatus.Done, GssapiMessage.TryParse(bytes, out GssapiMessage message, out int consumed, out ParseError error));
        Assert.Equal(bytes.Length, consumed);
        Assert.Equal(ParseError.None, error);
        Assert.Equal(type, message.MessageType);
        Assert.Equal(Hex.Format(token), Hex.Format(message.Token));

        AssertWrites(bytes, type, token);
        SplitChecks.AssertMessageForEverySplit(WireParser.Gssapi, bytes);
    }

    [Fact]
    public void A_65535_byte_token_round_trips_and_the_sequence_parser_slices_it_without_copying()
    {
        byte[] token = Enumerable.Range(0, GssapiMessage.MaxTokenLength).Select(i => (byte)(i * 7)).ToArray();
        byte[] bytes = new byte[] { 1, 3, 0xFF, 0xFF }.Concat(token).ToArray();
        AssertWrites(bytes, GssapiMessageType.EncapsulatedMessage, token);

        foreach (int split in new[] { 1, 3, 4, 5, 1000, bytes.Length - 1 })
        {
            ReadOnlySequence<byte> source = Segments.SplitAt(bytes, split);
            Assert.Equal(OperationStatus.Done, GssapiMessage.TryParse(source, GssapiMessage.MaxTokenLength, out GssapiMessageType type, out ReadOnlySequence<byte> parsed, out int consumed, out ParseError error));
            Assert.Equal((GssapiMessageType.EncapsulatedMessage, bytes.Length, ParseError.None), (type, consumed, error));
            Assert.True(parsed.ToArray().AsSpan().SequenceEqual(token), $"token differs at split {split}");
            Assert.Equal(source.GetPosition(GssapiMessage.HeaderLength), parsed.Start);
            Assert.Equal(source.End, parsed.End);
        }
    }

    [Theory]
    [InlineData("05", ParseError.UnsupportedVersion)]
    [InlineData("05 01 00 01 00", ParseError.UnsupportedVersion)]
    [InlineData("00 ff", ParseError.UnsupportedVersion)]
    [InlineData("01 00", ParseError.UnknownGssapiMessageType)]
    [InlineData("01 04 00 01 00", ParseError.UnknownGssapiMessageType)]
    [InlineData("01 fe", ParseError.UnknownGssapiMessageType)]
    public void Invalid_message_is_refused_as_soon_as_the_bad_byte_is_read(string hex, ParseError expected) =>
        SplitChecks.AssertSameForEverySplit(WireParser.Gssapi, Hex.Parse(hex), ParseOutcome.Invalid(expected));

    [Theory]
    [InlineData("")]
    [InlineData("01")]
    [InlineData("01 01")]
    [InlineData("01 01 00")]
    [InlineData("01 01 00 04 de ad be")]
    [InlineData("01 03 ff ff 00")]
    public void Truncated_message_needs_more_data(string hex) =>
        SplitChecks.AssertNeedsMoreDataForEverySplit(WireParser.Gssapi, Hex.Parse(hex));

    [Theory]
    [InlineData("01 01 00 04", 3)]
    [InlineData("01 02 01 00", 255)]
    [InlineData("01 03 ff ff", 0)]
    public void A_length_over_the_callers_limit_is_refused_from_the_four_header_bytes(string hex, int limit)
    {
        byte[] header = Hex.Parse(hex);
        Assert.Equal(OperationStatus.InvalidData, GssapiMessage.TryParse(header, limit, out _, out int consumed, out ParseError error));
        Assert.Equal((0, ParseError.GssapiTokenTooLong), (consumed, error));

        foreach (ReadOnlySequence<byte> source in Segments.AllSplits(header))
        {
            Assert.Equal(OperationStatus.InvalidData, GssapiMessage.TryParse(source, limit, out _, out ReadOnlySequence<byte> token, out consumed, out error));
            Assert.Equal((0, ParseError.GssapiTokenTooLong, 0L), (consumed, error, token.Length));
        }
    }

    [Fact]
    public void A_length_at_the_callers_limit_is_accepted()
    {
        byte[] bytes = Hex.Parse("01 01 00 03 0a 0b 0c");
        Assert.Equal(OperationStatus.Done, GssapiMessage.TryParse(bytes, 3, out GssapiMessage message, out int consumed, out _));
        Assert.Equal((7, "0A0B0C"), (consumed, Hex.Format(message.Token)));
        Assert.Equal(OperationStatus.Done, GssapiMessage.TryParse(Segments.SplitAt(bytes, 2), 3, out _, out _, out consumed, out _));
        Assert.Equal(7, consumed);
    }

    [Theory]
    [InlineData(GssapiMessageType.Abort, 1)]
    [InlineData(GssapiMessageType.Authentication, GssapiMessage.MaxTokenLength + 1)]
    [InlineData((GssapiMessageType)0x00, 0)]
    [InlineData((GssapiMessageType)0x04, 1)]
    public void Writer_refuses_an_unknown_type_an_abort_with_a_token_and_an_oversized_token(GssapiMessageType type, int tokenLength)
    {
        var token = new byte[tokenLength];
        WriterChecks.AssertRejects(
            (Span<byte> d, out int w) => GssapiMessage.TryWrite(type, token, d, out w),
            writer => GssapiMessage.Write(writer, type, token),
            () => GssapiMessage.GetLength(type, tokenLength));
    }

    [Property]
    public void Any_token_round_trips(byte typeSeed, byte[] token, byte[] trailing, int split)
    {
        GssapiMessageType type = (typeSeed % 4) switch
        {
            0 => GssapiMessageType.Authentication,
            1 => GssapiMessageType.ProtectionLevelNegotiation,
            2 => GssapiMessageType.EncapsulatedMessage,
            _ => GssapiMessageType.Abort,
        };
        token = type == GssapiMessageType.Abort ? Array.Empty<byte>() : token ?? Array.Empty<byte>();
        var buffer = new byte[GssapiMessage.GetLength(type, token.Length)];
        Assert.True(GssapiMessage.TryWrite(type, token, buffer, out _));

        Assert.Equal(OperationStatus.Done, GssapiMessage.TryParse(buffer, out GssapiMessage message, out _, out _));
        Assert.Equal(type, message.MessageType);
        Assert.Equal(token, message.Token.ToArray());
        SplitChecks.AssertParsesBack(WireParser.Gssapi, buffer, trailing, split);
    }

    private static void AssertWrites(byte[] expected, GssapiMessageType type, byte[] token) =>
        WriterChecks.AssertWrites(
            expected,
            (Span<byte> d, out int w) => GssapiMessage.TryWrite(type, token, d, out w),
            writer => GssapiMessage.Write(writer, type, token),
            GssapiMessage.GetLength(type, token.Length));
}
