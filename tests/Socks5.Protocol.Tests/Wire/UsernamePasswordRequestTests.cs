using System;
using System.Buffers;
using System.Linq;
using FsCheck;
using FsCheck.Xunit;
using Socks5.Protocol.Tests.Support;
using Socks5.Protocol.Wire;
using Xunit;

namespace Socks5.Protocol.Tests.Wire;

public class UsernamePasswordRequestTests
{
    public static TheoryData<string, string, string> Vectors => new()
    {
        { "01 04 75 73 65 72 04 70 61 73 73", "75736572", "70617373" },
        { "01 01 61 01 62", "61", "62" },
        { "01 02 00 ff 03 00 01 02", "00ff", "000102" },
        { "01 ff " + AddressVectors.LongestNameHex + " ff " + AddressVectors.LongestNameHex, AddressVectors.LongestNameHex, AddressVectors.LongestNameHex },
    };

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Vector_parses_to_its_credentials_and_the_credentials_write_it(string hex, string userHex, string passwordHex)
    {
        byte[] bytes = Hex.Parse(hex);
        byte[] user = Hex.Parse(userHex);
        byte[] password = Hex.Parse(passwordHex);

        Assert.Equal(OperationStatus.Done, UsernamePasswordRequest.TryParse(bytes, out UsernamePasswordRequest request, out int consumed, out ParseError error));
        Assert.Equal(bytes.Length, consumed);
        Assert.Equal(ParseError.None, error);
        Assert.Equal(Hex.Format(user), Hex.Format(request.UserName));
        Assert.Equal(Hex.Format(password), Hex.Format(request.Password));

        AssertWrites(bytes, user, password);
        SplitChecks.AssertMessageForEverySplit(WireParser.UserPassRequest, bytes);
    }

    [Fact]
    public void The_largest_request_is_MaxLength() =>
        Assert.Equal(UsernamePasswordRequest.MaxLength, Hex.Parse((string)Vectors.Last()[0]).Length);

    [Theory]
    [InlineData("05", ParseError.UnsupportedVersion)]
    [InlineData("05 04 75 73 65 72 04 70 61 73 73", ParseError.UnsupportedVersion)]
    [InlineData("00 01 61 01 62", ParseError.UnsupportedVersion)]
    [InlineData("01 00", ParseError.EmptyUserName)]
    [InlineData("01 00 01 62", ParseError.EmptyUserName)]
    [InlineData("01 01 61 00", ParseError.EmptyPassword)]
    [InlineData("01 03 61 62 63 00 64", ParseError.EmptyPassword)]
    public void Invalid_request_is_refused_as_soon_as_the_bad_byte_is_read(string hex, ParseError expected) =>
        SplitChecks.AssertSameForEverySplit(WireParser.UserPassRequest, Hex.Parse(hex), ParseOutcome.Invalid(expected));

    [Theory]
    [InlineData("")]
    [InlineData("01")]
    [InlineData("01 04 75 73")]
    [InlineData("01 04 75 73 65 72")]
    [InlineData("01 04 75 73 65 72 04 70 61 73")]
    public void Truncated_request_needs_more_data(string hex) =>
        SplitChecks.AssertNeedsMoreDataForEverySplit(WireParser.UserPassRequest, Hex.Parse(hex));

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 0)]
    [InlineData(256, 1)]
    [InlineData(1, 256)]
    [InlineData(0, 0)]
    public void Writer_refuses_a_user_name_or_password_outside_1_to_255_bytes(int userLength, int passwordLength)
    {
        var user = new byte[userLength];
        var password = new byte[passwordLength];
        WriterChecks.AssertRejects(
            (Span<byte> d, out int w) => UsernamePasswordRequest.TryWrite(user, password, d, out w),
            writer => UsernamePasswordRequest.Write(writer, user, password),
            () => UsernamePasswordRequest.GetLength(user, password));
    }

    [Property]
    public void Any_credentials_round_trip(NonEmptyArray<byte> user, NonEmptyArray<byte> password, byte[] trailing, int split)
    {
        byte[] userBytes = user.Get.Take(255).ToArray();
        byte[] passwordBytes = password.Get.Take(255).ToArray();
        var buffer = new byte[UsernamePasswordRequest.GetLength(userBytes, passwordBytes)];
        Assert.True(UsernamePasswordRequest.TryWrite(userBytes, passwordBytes, buffer, out _));

        Assert.Equal(OperationStatus.Done, UsernamePasswordRequest.TryParse(buffer, out UsernamePasswordRequest request, out _, out _));
        Assert.Equal(userBytes, request.UserName.ToArray());
        Assert.Equal(passwordBytes, request.Password.ToArray());
        SplitChecks.AssertParsesBack(WireParser.UserPassRequest, buffer, trailing, split);
    }

    private static void AssertWrites(byte[] expected, byte[] user, byte[] password) =>
        WriterChecks.AssertWrites(
            expected,
            (Span<byte> d, out int w) => UsernamePasswordRequest.TryWrite(user, password, d, out w),
            writer => UsernamePasswordRequest.Write(writer, user, password),
            UsernamePasswordRequest.GetLength(user, password));
}
