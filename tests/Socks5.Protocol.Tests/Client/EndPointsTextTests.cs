using System.Net;
using Socks5.Protocol.Client;
using Socks5.Protocol.Server;
using Socks5.Protocol.Transport;
using Socks5.Protocol.Wire;
using Xunit;

namespace Socks5.Protocol.Tests.Client;

/// <summary>The client's text helpers: escaping what the proxy sent, and which relay names may be looked up.</summary>
public class EndPointsTextTests
{
    [Theory]
    [InlineData("example.test", "example.test")]
    [InlineData("", "")]
    [InlineData("a\0b", @"a\u0000b")]
    [InlineData("line\r\nnext", @"line\u000D\u000Anext")]
    [InlineData("\u001b[31mred", @"\u001B[31mred")]
    [InlineData("del\u007f", @"del\u007F")]
    [InlineData("nel\u0085", @"nel\u0085")] // C1 control
    [InlineData("evil\u202Etxt.exe", @"evil\u202Etxt.exe")] // right-to-left override
    [InlineData("a\u200Eb\u2066c\u2069", @"a\u200Eb\u2066c\u2069")] // bidi mark and isolates
    [InlineData("zero\u200Bwidth\uFEFF", @"zero\u200Bwidth\uFEFF")]
    [InlineData("ls\u2028ps\u2029", @"ls\u2028ps\u2029")]
    [InlineData("emoji\uD83D\uDE00ok", "emoji\uD83D\uDE00ok")] // a pair is one printable code point
    [InlineData("\uFDD0\uFFFE\uFFFF", @"\uFDD0\uFFFE\uFFFF")] // non-characters
    [InlineData("\uD83F\uDFFE", @"\uD83F\uDFFE")] // U+1FFFE, a non-character outside the BMP
    [InlineData("\uDB40\uDC01tag", @"\uDB40\uDC01tag")] // U+E0001 LANGUAGE TAG, a format character
    [InlineData("caf\u00e9 \u00a0\u65e5\u672c\uFFFD", "caf\u00e9 \u00a0\u65e5\u672c\uFFFD")] // letters, spaces, U+FFFD stay
    [InlineData(@"back\slash", @"back\\slash")] // so that an escape in the text cannot pass for one of ours
    public void Escape_turns_what_a_terminal_or_log_would_act_on_into_escapes(string text, string expected)
    {
        Assert.Equal(expected, EndPoints.Escape(text));
    }

    [Fact]
    public void Escape_turns_unpaired_surrogates_into_escapes()
    {
        // Not in InlineData: xunit's serialization of theory data would replace a lone surrogate.
        Assert.Equal(@"lone\uD800high", EndPoints.Escape("lone\uD800high"));
        Assert.Equal(@"lone\uDC00low", EndPoints.Escape("lone\uDC00low"));
        Assert.Equal(@"end\uD83D", EndPoints.Escape("end\uD83D"));
        Assert.Equal(@"\uDE00\uD83D", EndPoints.Escape("\uDE00\uD83D")); // a pair in the wrong order is two lone halves
    }

    [Fact]
    public void Escape_returns_clean_text_itself()
    {
        string text = "relay.example.test";
        Assert.Same(text, EndPoints.Escape(text));
    }

    [Fact]
    public void Format_escapes_names_only()
    {
        Assert.Equal(@"a\u000Ab:80", EndPoints.Format(new DnsEndPoint("a\nb", 80)));
        Assert.Equal("[::1]:80", EndPoints.Format(new IPEndPoint(IPAddress.IPv6Loopback, 80)));
    }

    [Theory]
    [InlineData("relay.test", true)]
    [InlineData("relay.test.", true)]
    [InlineData("_udp.relay-1.test", true)]
    [InlineData("127.0.0.1", true)]
    [InlineData("", false)]
    [InlineData(".", false)]
    [InlineData(".test", false)]
    [InlineData("a..b", false)]
    [InlineData("a b", false)]
    [InlineData("a\0b", false)]
    [InlineData("a\u202Eb", false)]
    [InlineData("caf\u00e9.test", false)] // IDNs arrive as xn--; raw UTF-8 is not looked up
    [InlineData("::1", false)]
    public void IsHostName_accepts_only_names_a_resolver_could_look_up(string name, bool expected)
    {
        Assert.Equal(expected, EndPoints.IsHostName(name));
    }

    [Theory]
    [InlineData(63, true)]
    [InlineData(64, false)]
    public void IsHostName_bounds_a_label_at_63(int length, bool expected)
    {
        Assert.Equal(expected, EndPoints.IsHostName(new string('a', length) + ".test"));
    }

    [Theory]
    [InlineData(253, true)]
    [InlineData(254, false)]
    public void IsHostName_bounds_a_name_at_253_characters_plus_a_final_dot(int length, bool expected)
    {
        // Labels of 9 letters and a dot, cut to length (never ending on a dot).
        string name = string.Concat(Enumerable.Repeat("abcdefghi.", 26))[..length];
        Assert.NotEqual('.', name[^1]);
        Assert.Equal(expected, EndPoints.IsHostName(name));
        Assert.Equal(expected, EndPoints.IsHostName(name + "."));
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("[127.0.0.1]")]
    [InlineData("::1")]
    [InlineData("[::1]")]
    [InlineData("fe80::1%2")]
    [InlineData("localhost")]
    [InlineData("1")]
    [InlineData("1.2")]
    [InlineData("0x7f.0.0.1")] // inet_aton's hex form: a name to SOCKS, as "1" is
    [InlineData("127.0.0.0x1")]
    [InlineData("1.2.3.4.5")]
    [InlineData("[::1")]
    public void FromHost_reads_an_IP_literal_by_the_same_rule_as_the_wire_endpoint(string host)
    {
        Socks5EndPoint wire = Socks5EndPoint.FromHost(host, 80, new byte[Socks5EndPoint.MaxAddressLength]);
        EndPoint client = EndPoints.FromHost(host, 80);
        Assert.Equal(wire.AddressType != AddressType.DomainName, client is IPEndPoint);
        if (client is IPEndPoint ip)
        {
            Assert.Equal(wire.ToIPAddress(), new IPAddress(ip.Address.GetAddressBytes())); // SOCKS5 carries no scope id
        }
    }
}
