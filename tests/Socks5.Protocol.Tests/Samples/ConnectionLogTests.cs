using System.Globalization;
using System.Net;
using Socks5.Protocol.Engine;
using Socks5.Protocol.Client;
using Socks5.Protocol.Server;
using Socks5.Protocol.Transport;
using Socks5.Protocol.Wire;
using Socks5.Server;
using Xunit;

namespace Socks5.Protocol.Tests.Samples;

/// <summary>The sample server's log escaping: nothing the client sent may forge a line, reorder one, or hide in one.</summary>
public class ConnectionLogTests
{
    [Theory]
    [InlineData("example.com:443", "example.com:443")]
    [InlineData("a\nb\r\0", @"a\x0Ab\x0D\x00")]
    [InlineData("\u001b[2J\u007f\u0085", @"\x1B[2J\x7F\x85")] // C0, DEL, C1
    [InlineData("evil\u202Egnp.exe", @"evil\u202Egnp.exe")] // right-to-left override
    [InlineData("a\u2028b\u2029c", @"a\u2028b\u2029c")] // line and paragraph separators
    [InlineData("a\u200Eb\u2066c\u2069d\u200Be\uFEFF", @"a\u200Eb\u2066c\u2069d\u200Be\uFEFF")] // bidi marks, isolates, zero-width
    [InlineData("\uFDD0\uFFFE\uFFFF", @"\uFDD0\uFFFE\uFFFF")] // non-characters
    [InlineData("\uD83F\uDFFF", @"\uD83F\uDFFF")] // U+1FFFF, a non-character outside the BMP
    [InlineData("\uDB40\uDC01", @"\uDB40\uDC01")] // U+E0001 LANGUAGE TAG, a format character
    [InlineData("caf\u00e9 \u00a0\u65e5\u672c \uD83D\uDE00 \uFFFD", "caf\u00e9 \u00a0\u65e5\u672c \uD83D\uDE00 \uFFFD")]
    [InlineData(@"a\x0Ab", @"a\\x0Ab")] // an escape the client typed cannot pass for one of ours
    public void Printable_escapes_what_a_terminal_or_log_viewer_would_act_on(string text, string expected)
    {
        Assert.Equal(expected, ConnectionLog.Printable(text));
    }

    [Fact]
    public void Printable_escapes_unpaired_surrogates()
    {
        // Not in InlineData: xunit's serialization of theory data would replace a lone surrogate.
        Assert.Equal(@"a\uD800b\uDC00c\uDE00\uD83D", ConnectionLog.Printable("a\uD800b\uDC00c\uDE00\uD83D"));
    }

    [Fact]
    public void LogLine_has_nothing_hidden_whatever_the_client_sent()
    {
        var report = new Socks5ConnectionReport
        {
            Client = new IPEndPoint(IPAddress.Loopback, 40000),
            UserName = "eve\u2028admin",
            Command = Command.Connect,
            Destination = "txt\u202Eexe.example\uD800:80",
            ReplyCode = ReplyCode.HostUnreachable,
            Failure = HandshakeFailure.RequestRejected,
            Error = new IOException("bad\u2029name"),
        };

        string line = ConnectionLog.Format(report, DateTime.UnixEpoch);
        Assert.Contains(@" user=eve\u2028admin CONNECT txt\u202Eexe.example\uD800:80 reply=HostUnreachable", line, StringComparison.Ordinal);
        Assert.EndsWith(@"error=IOException: bad\u2029name", line, StringComparison.Ordinal);
        Assert.DoesNotContain(line, c => CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.Control or UnicodeCategory.Format
            or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator or UnicodeCategory.Surrogate);
    }

    [Theory]
    [InlineData(InboundProtocol.Socks5, " CONNECT 127.0.0.1:80 ")]
    [InlineData(InboundProtocol.Socks4, " CONNECT via=socks4 127.0.0.1:80 ")]
    [InlineData(InboundProtocol.Socks4a, " CONNECT via=socks4a 127.0.0.1:80 ")]
    [InlineData(InboundProtocol.HttpConnect, " CONNECT via=http 127.0.0.1:80 ")]
    public void LogLine_names_the_protocol_unless_socks5(InboundProtocol protocol, string expected)
    {
        var report = new Socks5ConnectionReport { Protocol = protocol, Command = Command.Connect, Destination = "127.0.0.1:80" };
        Assert.Contains(expected, ConnectionLog.Format(report, DateTime.UnixEpoch), StringComparison.Ordinal);
    }
}
