using System;
using System.Linq;
using System.Net;
using System.Text;
using FsCheck.Xunit;
using Socks5.Protocol.Tests.Support;
using Socks5.Protocol.Wire;
using Xunit;

namespace Socks5.Protocol.Tests.Wire;

/// <summary>The IP literals of a CONNECT target, read without allocating, agree with the BCL's parser.</summary>
public class IPLiteralTests
{
    [Property(MaxTest = 500)]
    public void Every_IPv6_address_in_its_short_and_full_forms_reads_back(byte[] seed, bool full)
    {
        byte[] bytes = new byte[16];
        (seed ?? Array.Empty<byte>()).AsSpan(0, Math.Min(16, seed?.Length ?? 0)).CopyTo(bytes);
        var address = new IPAddress(bytes);
        string text = full
            ? string.Join(":", Enumerable.Range(0, 8).Select(i => ((bytes[2 * i] << 8) | bytes[(2 * i) + 1]).ToString("x")))
            : address.ToString();

        Span<byte> parsed = stackalloc byte[16];
        Assert.True(IPLiteral.TryParseIPv6(Encoding.ASCII.GetBytes(text), parsed), text);
        Assert.Equal(Hex.Format(bytes), Hex.Format(parsed));
    }

    [Property(MaxTest = 1000)]
    public void What_reads_as_an_address_is_the_address_the_BCL_reads(byte[] seed)
    {
        // Text made of the characters of IP literals, so that both parsers get far.
        const string Alphabet = "0123456789abcdefABCDEF:.:";
        string text = new((seed ?? Array.Empty<byte>()).Select(b => Alphabet[b % Alphabet.Length]).ToArray());
        byte[] ascii = Encoding.ASCII.GetBytes(text);
        Span<byte> parsed = stackalloc byte[16];
        if (IPLiteral.TryParseIPv6(ascii, parsed))
        {
            Assert.True(IPAddress.TryParse(text, out IPAddress? address), text);
            Assert.Equal(Hex.Format(address!.GetAddressBytes()), Hex.Format(parsed));
        }

        if (IPLiteral.TryParseIPv4(ascii, parsed))
        {
            Assert.True(IPAddress.TryParse(text, out IPAddress? address), text);
            Assert.Equal(Hex.Format(address!.GetAddressBytes()), Hex.Format(parsed.Slice(0, 4)));
        }
    }

    [Theory]
    [InlineData("1.2.3.4", "01020304")]
    [InlineData("0.0.0.0", "00000000")]
    [InlineData("255.255.255.255", "FFFFFFFF")]
    public void IPv4_vectors(string text, string hex)
    {
        Span<byte> parsed = stackalloc byte[4];
        Assert.True(IPLiteral.TryParseIPv4(Encoding.ASCII.GetBytes(text), parsed));
        Assert.Equal(hex, Hex.Format(parsed));
    }

    [Theory]
    [InlineData("")]
    [InlineData("1.2.3")]
    [InlineData("1.2.3.4.")]
    [InlineData(".1.2.3")]
    [InlineData("1..2.3")]
    [InlineData("256.1.1.1")]
    [InlineData("1.2.3.0004")]
    [InlineData("1.2.3.a")]
    [InlineData("010.1.1.1")]
    [InlineData("1.2.3.00")]
    public void Not_IPv4(string text) => Assert.False(IPLiteral.TryParseIPv4(Encoding.ASCII.GetBytes(text), new byte[4]));

    [Theory]
    [InlineData("")]
    [InlineData(":")]
    [InlineData(":::")]
    [InlineData("1")]
    [InlineData("1:2")]
    [InlineData("1::2::3")]
    [InlineData("::1.2.3.4.5")]
    [InlineData("1.2.3.4::")]
    [InlineData("::12345")]
    [InlineData("g::")]
    [InlineData("1:2:3:4:5:6:7:8:9")]
    [InlineData("::1:2:3:4:5:6:7:8")]
    [InlineData("1:2:3:4:5:6:7:1.2.3.4")]
    [InlineData("fe80::1%eth0")]
    public void Not_IPv6(string text) => Assert.False(IPLiteral.TryParseIPv6(Encoding.ASCII.GetBytes(text), new byte[16]));
}
