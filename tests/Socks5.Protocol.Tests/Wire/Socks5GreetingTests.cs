using System;
using System.Buffers;
using System.Linq;
using FsCheck;
using FsCheck.Xunit;
using Socks5.Protocol.Tests.Support;
using Socks5.Protocol.Wire;
using Xunit;

namespace Socks5.Protocol.Tests.Wire;

public class Socks5GreetingTests
{
    [Theory]
    [InlineData("05 01 00", "00")]
    [InlineData("05 01 02", "02")]
    [InlineData("05 02 00 02", "00 02")]
    [InlineData("05 03 02 01 00", "02 01 00")]
    [InlineData("05 02 80 fe", "80 fe")]
    public void Vector_parses_to_its_methods_and_the_methods_write_it(string hex, string methodsHex)
    {
        byte[] bytes = Hex.Parse(hex);
        AuthenticationMethod[] methods = Hex.Parse(methodsHex).Select(b => (AuthenticationMethod)b).ToArray();

        Assert.Equal(OperationStatus.Done, Socks5Greeting.TryParse(bytes, out Socks5Greeting greeting, out int consumed, out ParseError error));
        Assert.Equal(bytes.Length, consumed);
        Assert.Equal(ParseError.None, error);
        Assert.Equal(methods, greeting.Methods.ToArray());
        Assert.Equal(Hex.Format(Hex.Parse(methodsHex)), Hex.Format(greeting.RawMethods));
        foreach (AuthenticationMethod method in methods)
        {
            Assert.True(greeting.Offers(method));
        }

        Assert.False(greeting.Offers(AuthenticationMethod.NoAcceptableMethods));

        AssertWrites(bytes, methods);
        SplitChecks.AssertMessageForEverySplit(WireParser.Greeting, bytes);
    }

    [Fact]
    public void A_greeting_of_255_methods_is_the_largest_and_round_trips()
    {
        AuthenticationMethod[] methods = Enumerable.Range(0, 255).Select(i => (AuthenticationMethod)i).ToArray();
        byte[] bytes = new byte[] { 5, 255 }.Concat(Enumerable.Range(0, 255).Select(i => (byte)i)).ToArray();
        Assert.Equal(Socks5Greeting.MaxLength, bytes.Length);

        AssertWrites(bytes, methods);
        SplitChecks.AssertMessageForEverySplit(WireParser.Greeting, bytes);
    }

    [Theory]
    [InlineData("04", ParseError.UnsupportedVersion)]
    [InlineData("04 01 00", ParseError.UnsupportedVersion)]
    [InlineData("01 01 00", ParseError.UnsupportedVersion)]
    [InlineData("05 00", ParseError.NoMethods)]
    [InlineData("05 00 00 01", ParseError.NoMethods)]
    public void Invalid_greeting_is_refused_as_soon_as_the_bad_byte_is_read(string hex, ParseError expected) =>
        SplitChecks.AssertSameForEverySplit(WireParser.Greeting, Hex.Parse(hex), ParseOutcome.Invalid(expected));

    [Theory]
    [InlineData("")]
    [InlineData("05")]
    [InlineData("05 01")]
    [InlineData("05 03 00 01")]
    public void Truncated_greeting_needs_more_data_and_consumes_nothing(string hex) =>
        SplitChecks.AssertNeedsMoreDataForEverySplit(WireParser.Greeting, Hex.Parse(hex));

    [Theory]
    [InlineData(0)]
    [InlineData(256)]
    public void Writer_refuses_a_method_count_outside_1_to_255(int count)
    {
        var methods = new AuthenticationMethod[count];
        WriterChecks.AssertRejects(
            (Span<byte> d, out int w) => Socks5Greeting.TryWrite(methods, d, out w),
            writer => Socks5Greeting.Write(writer, methods),
            () => Socks5Greeting.GetLength(methods));
    }

    [Fact]
    public void Sequence_parser_refuses_a_small_scratch_only_when_it_needs_it()
    {
        byte[] bytes = Hex.Parse("05 02 00 02");
        ReadOnlySequence<byte> split = Segments.SplitAt(bytes, 2);
        Assert.ThrowsAny<ArgumentException>(() => Socks5Greeting.TryParse(split, new byte[4], out _, out _, out _));

        Assert.Equal(OperationStatus.Done, Socks5Greeting.TryParse(new ReadOnlySequence<byte>(bytes), Span<byte>.Empty, out Socks5Greeting greeting, out int consumed, out _));
        Assert.Equal(4, consumed);
        Assert.Equal("0002", Hex.Format(greeting.RawMethods));
    }

    [Property]
    public void Any_method_list_round_trips(NonEmptyArray<byte> raw, byte[] trailing, int split)
    {
        AuthenticationMethod[] methods = raw.Get.Take(255).Select(b => (AuthenticationMethod)b).ToArray();
        byte[] written = Write(methods);

        Assert.Equal(OperationStatus.Done, Socks5Greeting.TryParse(written, out Socks5Greeting greeting, out _, out _));
        Assert.Equal(methods, greeting.Methods.ToArray());
        SplitChecks.AssertParsesBack(WireParser.Greeting, written, trailing, split);
    }

    private static byte[] Write(AuthenticationMethod[] methods)
    {
        var buffer = new byte[Socks5Greeting.GetLength(methods)];
        Assert.True(Socks5Greeting.TryWrite(methods, buffer, out int written));
        Assert.Equal(buffer.Length, written);
        return buffer;
    }

    private static void AssertWrites(byte[] expected, AuthenticationMethod[] methods) =>
        WriterChecks.AssertWrites(
            expected,
            (Span<byte> d, out int w) => Socks5Greeting.TryWrite(methods, d, out w),
            writer => Socks5Greeting.Write(writer, methods),
            Socks5Greeting.GetLength(methods));
}
