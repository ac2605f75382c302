using System;
using System.Buffers;
using System.Linq;
using System.Text;
using FsCheck.Xunit;
using Socks5.Protocol.Tests.Support;
using Socks5.Protocol.Wire;
using Xunit;

namespace Socks5.Protocol.Tests.Wire;

public class HttpConnectRequestTests
{
    private static byte[] Ascii(string text) => Encoding.Latin1.GetBytes(text);

    [Theory]
    [InlineData("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", "CONNECT example.com:443 1 03 example.com 443 False ")]
    [InlineData("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\nProxy-Authorization: Basic dXNlcjpwYXNz\r\n\r\n", "CONNECT example.com:443 1 03 example.com 443 True Basic dXNlcjpwYXNz")]
    // Field names are case-insensitive; the whitespace around a value is not part of it.
    [InlineData("CONNECT a.b:1 HTTP/1.1\r\nhOsT:a.b:1\r\nproxy-AUTHORIZATION: \t Basic  x== \t\r\nUser-Agent: t/1 (x)\r\n\r\n", "CONNECT a.b:1 1 03 a.b 1 True Basic  x==")]
    [InlineData("CONNECT [::1]:8080 HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n", "CONNECT [::1]:8080 1 04 ::1 8080 False ")]
    [InlineData("CONNECT [2001:db8::192.0.2.1]:65535 HTTP/1.1\r\nHost: x\r\n\r\n", "CONNECT [2001:db8::192.0.2.1]:65535 1 04 2001:db8::192.0.2.1 65535 False ")]
    // HTTP/1.0 needs no Host field.
    [InlineData("CONNECT 127.0.0.1:22 HTTP/1.0\r\n\r\n", "CONNECT 127.0.0.1:22 0 01 127.0.0.1 22 False ")]
    // A name that only looks like an address: five parts, or a part above 255.
    [InlineData("CONNECT 1.2.3.4.5:22 HTTP/1.0\r\n\r\n", "CONNECT 1.2.3.4.5:22 0 03 1.2.3.4.5 22 False ")]
    [InlineData("CONNECT 1.2.3.256:22 HTTP/1.0\r\n\r\n", "CONNECT 1.2.3.256:22 0 03 1.2.3.256 22 False ")]
    // Leading zeros: octal to some resolvers, decimal to others; a name, for the resolver to decide.
    [InlineData("CONNECT 010.0.0.1:22 HTTP/1.0\r\n\r\n", "CONNECT 010.0.0.1:22 0 03 010.0.0.1 22 False ")]
    [InlineData("CONNECT xn--bcher-kva.example:443 HTTP/1.1\r\nHost: a\r\n\r\n", "CONNECT xn--bcher-kva.example:443 1 03 xn--bcher-kva.example 443 False ")]
    [InlineData("CONNECT a%2Db.example:00443 HTTP/1.1\r\nHost: a\r\n\r\n", "CONNECT a%2Db.example:00443 1 03 a%2Db.example 443 False ")]
    // An empty Proxy-Authorization is there, and empty.
    [InlineData("CONNECT a:1 HTTP/1.1\r\nHost: a\r\nProxy-Authorization:\r\n\r\n", "CONNECT a:1 1 03 a 1 True ")]
    // Another method parses (for a 405): its target is not read as host:port.
    [InlineData("GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n", "GET http://example.com/ 1 00  0 False ")]
    [InlineData("connect example.com:443 HTTP/1.1\r\nHost: x\r\n\r\n", "connect example.com:443 1 00  0 False ")]
    // A later 1.x keeps its minor digit.
    [InlineData("CONNECT a:1 HTTP/1.9\r\nHost: a\r\n\r\n", "CONNECT a:1 9 03 a 1 False ")]
    public void Head_parses_to_its_fields_consuming_exactly_the_head(string head, string fields)
    {
        ParseOutcome outcome = SplitChecks.AssertMessageForEverySplit(WireParser.HttpConnect, Ascii(head));
        Assert.Equal(fields, outcome.Fields);
        SplitChecks.AssertEveryStrictPrefixNeedsMoreData(WireParser.HttpConnect, Ascii(head));
    }

    [Theory]
    [InlineData("example.com:443", "03 6578616D706C652E636F6D 443")]
    [InlineData("127.0.0.1:8000", "01 7F000001 8000")]
    [InlineData("255.255.255.255:1", "01 FFFFFFFF 1")]
    [InlineData("[::1]:80", "04 00000000000000000000000000000001 80")]
    [InlineData("[::]:80", "04 00000000000000000000000000000000 80")]
    [InlineData("[2001:DB8::8:800:200C:417A]:80", "04 20010DB80000000000080800200C417A 80")]
    [InlineData("[::ffff:192.0.2.1]:80", "04 00000000000000000000FFFFC0000201 80")]
    [InlineData("[1:2:3:4:5:6:7::]:80", "04 00010002000300040005000600070000 80")]
    [InlineData("[1:2:3:4:5:6:7:8]:80", "04 00010002000300040005000600070008 80")]
    public void The_CONNECT_target_becomes_an_endpoint_without_allocating(string target, string expected)
    {
        Assert.Equal(OperationStatus.Done, HttpConnectRequest.TryParse(Ascii($"CONNECT {target} HTTP/1.0\r\n\r\n"), out HttpConnectRequest request, out _, out _));
        Span<byte> buffer = stackalloc byte[16];
        Assert.Equal(expected, ParseOutcome.Describe(request.GetDestination(buffer)));
    }

    [Fact]
    public void Only_a_CONNECT_has_a_destination()
    {
        Assert.Equal(OperationStatus.Done, HttpConnectRequest.TryParse(Ascii("GET / HTTP/1.0\r\n\r\n"), out HttpConnectRequest request, out _, out _));
        bool threw = false;
        try
        {
            request.GetDestination(new byte[16]);
        }
        catch (InvalidOperationException)
        {
            threw = true;
        }

        Assert.True(threw);
    }

    [Fact]
    public void Tunnel_data_after_the_head_is_left_alone()
    {
        byte[] input = Ascii("CONNECT a:1 HTTP/1.1\r\nHost: a\r\n\r\n\x16\x03\x01\r\n\r\n");
        Assert.Equal(OperationStatus.Done, HttpConnectRequest.TryParse(input, out HttpConnectRequest request, out int consumed, out _));
        Assert.Equal(input.Length - 7, consumed);
        Assert.True(request.IsConnect);
    }

    [Fact]
    public void IsConnect_is_the_case_sensitive_method()
    {
        Assert.Equal(OperationStatus.Done, HttpConnectRequest.TryParse(Ascii("Connect a:1 HTTP/1.0\r\n\r\n"), out HttpConnectRequest request, out _, out _));
        Assert.False(request.IsConnect);
        Assert.Equal(0, request.Port);
    }

    [Theory]
    [InlineData(" CONNECT")]
    [InlineData("\r\nCONNECT a:1 HTTP/1.1\r\n")]
    [InlineData("CONNECT  ")]
    [InlineData("CONNECT\t")]
    [InlineData("CON\"")]
    [InlineData("CONNECT a:1  ")]
    [InlineData("CONNECT a:1\r")]
    [InlineData("CONNECT a:\x80")]
    [InlineData("CONNECT a:1 h")]
    [InlineData("CONNECT a:1 HTTP/x")]
    [InlineData("CONNECT a:1 HTTP/1,")]
    [InlineData("CONNECT a:1 HTTP/1.1 ")]
    [InlineData("CONNECT a:1 HTTP/1.10")]
    [InlineData("CONNECT a:1 HTTP/1.1\n")]
    [InlineData("CONNECT a:1 HTTP/1.1\r\r")]
    public void Bad_request_line_is_refused_as_soon_as_the_bad_byte_is_read(string text) =>
        SplitChecks.AssertSameForEverySplit(WireParser.HttpConnect, Ascii(text), ParseOutcome.Invalid(ParseError.InvalidRequestLine));

    [Theory]
    [InlineData("CONNECT a:1 HTTP/2")]
    [InlineData("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")]
    [InlineData("CONNECT a:1 HTTP/0.9\r\n")]
    public void A_major_version_other_than_1_is_refused(string text) =>
        SplitChecks.AssertSameForEverySplit(WireParser.HttpConnect, Ascii(text), ParseOutcome.Invalid(ParseError.UnsupportedVersion));

    [Theory]
    [InlineData("example.com")]
    [InlineData(":443")]
    [InlineData("example.com:")]
    [InlineData("example.com:0")]
    [InlineData("example.com:65536")]
    [InlineData("example.com:100000")]
    [InlineData("example.com:44a")]
    [InlineData("example.com:443/")]
    [InlineData("a:b:1")]
    [InlineData("user@example.com:443")]
    [InlineData("%zz:1")]
    [InlineData("a%2:1")]
    [InlineData("[::1]")]
    [InlineData("[::1]:")]
    [InlineData("[::1]x:80")]
    [InlineData("[]:80")]
    [InlineData("[127.0.0.1]:80")]
    [InlineData("[fe80::1%25eth0]:80")]
    [InlineData("[::g]:80")]
    [InlineData("[::1:80")]
    [InlineData("[::1::2]:80")]
    [InlineData("[1:2:3:4:5:6:7:8:9]:80")]
    [InlineData("[1:2:3:4:5:6:7]:80")]
    [InlineData("[::ffff:1.2.3]:80")]
    [InlineData("[12345::1]:80")]
    [InlineData("[:1]:80")]
    [InlineData("[1:]:80")]
    [InlineData("http://example.com:80/")]
    public void A_CONNECT_target_that_is_not_host_colon_port_is_refused_with_the_request_line(string target) =>
        SplitChecks.AssertSameForEverySplit(WireParser.HttpConnect, Ascii($"CONNECT {target} HTTP/1.1\r\n"), ParseOutcome.Invalid(ParseError.InvalidRequestTarget));

    [Fact]
    public void A_host_of_255_bytes_is_taken_and_one_of_256_refused()
    {
        string name = new('a', 255);
        var request = $"CONNECT {name}:1 HTTP/1.0\r\n\r\n";
        Assert.Equal(OperationStatus.Done, HttpConnectRequest.TryParse(Ascii(request), out HttpConnectRequest parsed, out _, out _));
        Assert.Equal(255, parsed.Host.Length);
        Assert.Equal(OperationStatus.InvalidData, HttpConnectRequest.TryParse(Ascii($"CONNECT a{name}:1 HTTP/1.0\r\n\r\n"), out _, out _, out ParseError error));
        Assert.Equal(ParseError.InvalidRequestTarget, error);
    }

    [Theory]
    [InlineData(" x")]
    [InlineData("\tx")]
    [InlineData("Host : a")]
    [InlineData("Ho(st: a")]
    [InlineData(": a")]
    [InlineData("Host: a\n")]
    [InlineData("Host: a\rb")]
    [InlineData("X: a\0")]
    [InlineData("X: a\x7f")]
    [InlineData("X: a\x01")]
    [InlineData("\r\r")]
    [InlineData("\n")]
    [InlineData("Host: a\r\nHost: b\r\n")]
    [InlineData("Host: a\r\nProxy-Authorization: Basic a\r\nproxy-authorization: Basic b\r\n")]
    [InlineData("\r\n")]
    [InlineData("X-Host: a\r\n\r\n")]
    public void Bad_field_line_or_missing_Host_is_refused(string fields) =>
        SplitChecks.AssertSameForEverySplit(WireParser.HttpConnect, Ascii("CONNECT a:1 HTTP/1.1\r\n" + fields), ParseOutcome.Invalid(ParseError.InvalidHeader));

    [Fact]
    public void A_head_of_the_limit_is_taken_and_one_byte_more_is_too_large()
    {
        string start = "CONNECT a:1 HTTP/1.1\r\nHost: a\r\nX: ";
        string head = start + new string('x', WireParser.HttpHeadLimit - start.Length - 4) + "\r\n\r\n";
        Assert.Equal(WireParser.HttpHeadLimit, head.Length);
        SplitChecks.AssertMessageForEverySplit(WireParser.HttpConnect, Ascii(head));

        string tooLarge = start + new string('x', WireParser.HttpHeadLimit - start.Length - 3) + "\r\n\r\n";
        SplitChecks.AssertSameForEverySplit(WireParser.HttpConnect, Ascii(tooLarge), ParseOutcome.Invalid(ParseError.HeadTooLarge));
        SplitChecks.AssertNeedsMoreDataForEverySplit(WireParser.HttpConnect, Ascii(tooLarge).AsSpan(0, WireParser.HttpHeadLimit - 1).ToArray());
    }

    [Fact]
    public void The_default_limit_is_8_KiB()
    {
        string start = "CONNECT a:1 HTTP/1.1\r\nHost: a\r\nX: ";
        byte[] head = Ascii(start + new string('x', HttpConnectRequest.DefaultMaxHeadLength - start.Length - 4) + "\r\n\r\n");
        Assert.Equal(OperationStatus.Done, HttpConnectRequest.TryParse(head, out _, out int consumed, out _));
        Assert.Equal(8192, consumed);
        Assert.Equal(OperationStatus.Done, HttpConnectRequest.TryParse(Segments.SplitAt(head, 100), new byte[8192], out _, out consumed, out _));
        Assert.Equal(8192, consumed);

        byte[] larger = Ascii(start + new string('x', HttpConnectRequest.DefaultMaxHeadLength - start.Length - 3) + "\r\n\r\n");
        Assert.Equal(OperationStatus.InvalidData, HttpConnectRequest.TryParse(larger, out _, out _, out ParseError error));
        Assert.Equal(ParseError.HeadTooLarge, error);
        Assert.Equal(OperationStatus.InvalidData, HttpConnectRequest.TryParse(Segments.SplitAt(larger, 100), new byte[8192], out _, out _, out error));
        Assert.Equal(ParseError.HeadTooLarge, error);
    }

    [Fact]
    public void A_limit_below_1_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => HttpConnectRequest.TryParse(Ascii("CONNECT"), 0, out _, out _, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => HttpConnectRequest.TryParse(new ReadOnlySequence<byte>(Ascii("CONNECT")), new byte[8], 0, out _, out _, out _));
    }

    [Property(MaxTest = 300)]
    public void Any_field_lines_keep_the_contract(byte[][] lines, int split)
    {
        // Random field lines after a valid request line: the later checks of the parser are reached.
        byte[] input = Ascii("CONNECT a:1 HTTP/1.1\r\nHost: a\r\n")
            .Concat((lines ?? Array.Empty<byte[]>()).Where(l => l is not null).SelectMany(l => l.Concat(new byte[] { 13, 10 })))
            .Concat(new byte[] { 13, 10 })
            .ToArray();
        ParseOutcome outcome = WireParser.HttpConnect.Parse(input);
        SplitChecks.AssertConsistent(outcome, input.Length);
        Assert.Equal(outcome, WireParser.HttpConnect.Parse(Segments.SplitAt(input, (int)((uint)split % (uint)(input.Length + 1)))));
        Assert.Equal(outcome, WireParser.HttpConnect.Parse(Segments.OneBytePerSegment(input)));
    }

    [Property(MaxTest = 300)]
    public void Any_host_and_port_with_a_valid_shape_parse_back(byte[] nameSeed, ushort port, string? credentials, int split)
    {
        string name = new(((nameSeed ?? Array.Empty<byte>()).Select(b => "abcdefghijklmnopqrstuvwxyz0123456789-."[b % 38]).Take(200)).ToArray());
        name = name.Length == 0 ? "a" : name;
        port = port == 0 ? (ushort)1 : port;
        string value = new(((credentials ?? string.Empty).Where(c => c is >= '!' and <= '~')).ToArray());
        byte[] head = Ascii($"CONNECT {name}:{port} HTTP/1.1\r\nHost: {name}\r\nProxy-Authorization: {value}\r\n\r\n");
        ParseOutcome outcome = SplitChecks.AssertParsesBack(WireParser.HttpConnect, head, Ascii("tunnel"), split);
        Assert.EndsWith($" {port} True {value}", outcome.Fields);
    }
}
