using System;
using System.Buffers;
using System.Text;
using FsCheck.Xunit;
using Socks5.Protocol.Tests.Support;
using Socks5.Protocol.Wire;
using Xunit;

namespace Socks5.Protocol.Tests.Wire;

public class HttpBasicCredentialsTests
{
    private static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);

    [Theory]
    [InlineData("Basic dXNlcjpwYXNz", "user", "pass")]
    [InlineData("basic dXNlcjpwYXNz", "user", "pass")]
    [InlineData("BASIC   dXNlcjpwYXNz  ", "user", "pass")]
    // RFC 7617 §2's example: Aladdin / open sesame.
    [InlineData("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", "Aladdin", "open sesame")]
    // The first colon ends the user-id; either part may be empty.
    [InlineData("Basic dTpwOnE=", "u", "p:q")]
    [InlineData("Basic OnBhc3M=", "", "pass")]
    [InlineData("Basic dXNlcjo=", "user", "")]
    [InlineData("Basic Og==", "", "")]
    public void Credentials_decode_into_the_buffer(string value, string user, string password)
    {
        var buffer = new byte[64];
        Assert.Equal(OperationStatus.Done, HttpBasicCredentials.TryDecode(Ascii(value), buffer, out ReadOnlySpan<byte> userName, out ReadOnlySpan<byte> pass));
        Assert.Equal(user, Encoding.ASCII.GetString(userName));
        Assert.Equal(password, Encoding.ASCII.GetString(pass));
    }

    [Theory]
    [InlineData("")]
    [InlineData("Basic")]
    [InlineData("Basic ")]
    [InlineData("Bearer dXNlcjpwYXNz")]
    [InlineData("Basicx dXNlcjpwYXNz")]
    [InlineData("Basic dXNlcg==")]
    [InlineData("Basic dXNlcjpwYXNz=")]
    [InlineData("Basic dXNlcjpwYXN")]
    [InlineData("Basic dXNl cjpw")]
    [InlineData("Basic dXNl\tcjpw")]
    [InlineData("Basic !!!!")]
    [InlineData("Basic ====")]
    public void Anything_but_Basic_with_base64_of_a_colon_is_invalid(string value) =>
        Assert.Equal(OperationStatus.InvalidData, HttpBasicCredentials.TryDecode(Ascii(value), new byte[64], out _, out _));

    [Fact]
    public void A_buffer_smaller_than_three_quarters_of_the_text_is_too_small()
    {
        Assert.Equal(OperationStatus.DestinationTooSmall, HttpBasicCredentials.TryDecode(Ascii("Basic dXNlcjpwYXNz"), new byte[8], out _, out _));
        Assert.Equal(OperationStatus.Done, HttpBasicCredentials.TryDecode(Ascii("Basic dXNlcjpwYXNz"), new byte[9], out _, out _));
    }

    [Property]
    public void Any_user_and_password_round_trip(byte[] user, byte[] password)
    {
        user = Array.FindAll(user ?? Array.Empty<byte>(), b => b != ':');
        password ??= Array.Empty<byte>();
        byte[] joined = new byte[user.Length + 1 + password.Length];
        user.CopyTo(joined, 0);
        joined[user.Length] = (byte)':';
        password.CopyTo(joined, user.Length + 1);
        byte[] value = Ascii("Basic " + Convert.ToBase64String(joined));

        var buffer = new byte[joined.Length + 3];
        Assert.Equal(OperationStatus.Done, HttpBasicCredentials.TryDecode(value, buffer, out ReadOnlySpan<byte> u, out ReadOnlySpan<byte> p));
        Assert.Equal(Hex.Format(user), Hex.Format(u));
        Assert.Equal(Hex.Format(password), Hex.Format(p));
    }
}
