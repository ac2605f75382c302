using System;
using System.Buffers;
using FsCheck.Xunit;
using Socks5.Protocol.Tests.Support;
using Socks5.Protocol.Wire;
using Xunit;

namespace Socks5.Protocol.Tests.Wire;

public class UsernamePasswordReplyTests
{
    [Theory]
    [InlineData("01 00", 0x00, true)]
    [InlineData("01 01", 0x01, false)]
    [InlineData("01 02", 0x02, false)]
    [InlineData("01 ff", 0xFF, false)]
    public void Vector_parses_to_its_status_and_the_status_writes_it(string hex, byte status, bool succeeded)
    {
        byte[] bytes = Hex.Parse(hex);

        Assert.Equal(OperationStatus.Done, UsernamePasswordReply.TryParse(bytes, out UsernamePasswordReply reply, out int consumed, out ParseError error));
        Assert.Equal(UsernamePasswordReply.Length, consumed);
        Assert.Equal(ParseError.None, error);
        Assert.Equal(status, reply.Status);
        Assert.Equal(succeeded, reply.Succeeded);
        Assert.Equal(succeeded, new UsernamePasswordReply(status).Succeeded);

        WriterChecks.AssertWrites(
            bytes,
            (Span<byte> d, out int w) => UsernamePasswordReply.TryWrite(status, d, out w),
            writer => UsernamePasswordReply.Write(writer, status));
        SplitChecks.AssertMessageForEverySplit(WireParser.UserPassReply, bytes);
    }

    [Fact]
    public void The_named_statuses_are_the_wire_values()
    {
        Assert.Equal(0, UsernamePasswordReply.Success);
        Assert.NotEqual(0, UsernamePasswordReply.Failure);
    }

    [Theory]
    [InlineData("05")]
    [InlineData("05 00")]
    [InlineData("00 00")]
    public void A_version_other_than_1_is_refused_from_the_first_byte(string hex) =>
        SplitChecks.AssertSameForEverySplit(WireParser.UserPassReply, Hex.Parse(hex), ParseOutcome.Invalid(ParseError.UnsupportedVersion));

    [Theory]
    [InlineData("")]
    [InlineData("01")]
    public void Truncated_reply_needs_more_data(string hex) =>
        SplitChecks.AssertNeedsMoreDataForEverySplit(WireParser.UserPassReply, Hex.Parse(hex));

    [Property]
    public void Any_status_round_trips(byte status, byte[] trailing, int split)
    {
        var buffer = new byte[UsernamePasswordReply.Length];
        Assert.True(UsernamePasswordReply.TryWrite(status, buffer, out _));

        Assert.Equal(OperationStatus.Done, UsernamePasswordReply.TryParse(buffer, out UsernamePasswordReply reply, out _, out _));
        Assert.Equal(status, reply.Status);
        Assert.Equal(status == 0, reply.Succeeded);
        SplitChecks.AssertParsesBack(WireParser.UserPassReply, buffer, trailing, split);
    }
}
