using System;
using System.Buffers;
using FsCheck.Xunit;
using Socks5.Protocol.Tests.Support;
using Socks5.Protocol.Wire;
using Xunit;

namespace Socks5.Protocol.Tests.Wire;

public class Socks5MethodSelectionTests
{
    [Theory]
    [InlineData("05 00", AuthenticationMethod.NoAuthenticationRequired)]
    [InlineData("05 01", AuthenticationMethod.Gssapi)]
    [InlineData("05 02", AuthenticationMethod.UsernamePassword)]
    [InlineData("05 ff", AuthenticationMethod.NoAcceptableMethods)]
    [InlineData("05 80", (AuthenticationMethod)0x80)]
    [InlineData("05 03", (AuthenticationMethod)0x03)]
    public void Vector_parses_to_its_method_and_the_method_writes_it(string hex, AuthenticationMethod method)
    {
        byte[] bytes = Hex.Parse(hex);

        Assert.Equal(OperationStatus.Done, Socks5MethodSelection.TryParse(bytes, out Socks5MethodSelection selection, out int consumed, out ParseError error));
        Assert.Equal(Socks5MethodSelection.Length, consumed);
        Assert.Equal(ParseError.None, error);
        Assert.Equal(method, selection.Method);
        Assert.Equal(method, new Socks5MethodSelection(method).Method);

        WriterChecks.AssertWrites(
            bytes,
            (Span<byte> d, out int w) => Socks5MethodSelection.TryWrite(method, d, out w),
            writer => Socks5MethodSelection.Write(writer, method));
        SplitChecks.AssertMessageForEverySplit(WireParser.MethodSelection, bytes);
    }

    [Theory]
    [InlineData("04")]
    [InlineData("04 00")]
    [InlineData("01 00")]
    [InlineData("00 00")]
    public void A_version_other_than_5_is_refused_from_the_first_byte(string hex) =>
        SplitChecks.AssertSameForEverySplit(WireParser.MethodSelection, Hex.Parse(hex), ParseOutcome.Invalid(ParseError.UnsupportedVersion));

    [Property]
    public void Any_method_round_trips(byte method, byte[] trailing, int split)
    {
        var buffer = new byte[Socks5MethodSelection.Length];
        Assert.True(Socks5MethodSelection.TryWrite((AuthenticationMethod)method, buffer, out _));

        Assert.Equal(OperationStatus.Done, Socks5MethodSelection.TryParse(buffer, out Socks5MethodSelection selection, out _, out _));
        Assert.Equal(method, (byte)selection.Method);
        SplitChecks.AssertParsesBack(WireParser.MethodSelection, buffer, trailing, split);
    }
}
