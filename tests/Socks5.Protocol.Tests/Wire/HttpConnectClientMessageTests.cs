using System;
using System.Buffers;
using System.Text;
using Socks5.Protocol.Tests.Support;
using Socks5.Protocol.Wire;
using Xunit;

namespace Socks5.Protocol.Tests.Wire;

/// <summary>The client's half of HTTP CONNECT: the request writer, the response head parser and the Basic encoder.</summary>
public class HttpConnectClientMessageTests
{
    private static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);

    [Theory]
    [InlineData("example.com:443", "", "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n")]
    [InlineData("[::1]:8080", "", "CONNECT [::1]:8080 HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n")]
    [InlineData("127.0.0.1:80", "Basic dXNlcjpwYXNz", "CONNECT 127.0.0.1:80 HTTP/1.1\r\nHost: 127.0.0.1:80\r\nProxy-Authorization: Basic dXNlcjpwYXNz\r\n\r\n")]
    public void Connect_request_is_written_and_our_parser_reads_it_back(string authority, string authorization, string expected)
    {
        WriterChecks.AssertWrites(
            Ascii(expected),
            (Span<byte> d, out int w) => HttpConnectRequest.TryWrite(Ascii(authority), Ascii(authorization), d, out w),
            writer => HttpConnectRequest.Write(writer, Ascii(authority), Ascii(authorization)),
            HttpConnectRequest.GetLength(Ascii(authority), Ascii(authorization)));

        Assert.Equal(OperationStatus.Done, HttpConnectRequest.TryParse(Ascii(expected), out HttpConnectRequest request, out int consumed, out _));
        Assert.Equal(expected.Length, consumed);
        Assert.True(request.IsConnect);
        Assert.Equal(authority, Encoding.ASCII.GetString(request.RequestTarget));
        Assert.Equal(authorization, Encoding.ASCII.GetString(request.ProxyAuthorization));
    }

    [Theory]
    [InlineData("", "")]
    [InlineData("a b:1", "")]
    [InlineData("a:1\r\nX: y", "")]
    [InlineData("a:1", "Basic x\r\nInjected: 1")]
    [InlineData("a:1", "Basic \0")]
    public void Connect_request_that_would_break_the_head_is_refused(string authority, string authorization) =>
        WriterChecks.AssertRejects(
            (Span<byte> d, out int w) => HttpConnectRequest.TryWrite(Ascii(authority), Ascii(authorization), d, out w),
            writer => HttpConnectRequest.Write(writer, Ascii(authority), Ascii(authorization)),
            () => HttpConnectRequest.GetLength(Ascii(authority), Ascii(authorization)));

    [Theory]
    [InlineData("HTTP/1.1 200 Connection established\r\n\r\n", "200")]
    [InlineData("HTTP/1.0 200 OK\r\nProxy-Agent: test/1.0\r\n\r\n", "200")]
    [InlineData("HTTP/1.1 204\r\n\r\n", "204")]
    [InlineData("HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"p\"\r\nContent-Length: 0\r\n\r\n", "407")]
    [InlineData("HTTP/1.1 502 \r\nContent-Length: 12\r\n\r\n", "502")]
    [InlineData("HTTP/1.1 200 caf\u00e9\r\nX:\r\n\r\n", "200")]
    public void Response_head_is_read_for_every_split_and_nothing_after_it(string head, string code)
    {
        byte[] bytes = Encoding.Latin1.GetBytes(head);
        ParseOutcome outcome = SplitChecks.AssertMessageForEverySplit(WireParser.HttpResponse, bytes);
        Assert.Equal(code, outcome.Fields);
        SplitChecks.AssertEveryStrictPrefixNeedsMoreData(WireParser.HttpResponse, bytes);
    }

    [Theory]
    [InlineData("\x05\x00", ParseError.InvalidStatusLine)]
    [InlineData("\x00\x5a\x00\x00\x00\x00\x00\x00", ParseError.InvalidStatusLine)]
    [InlineData("HTTP/2 200\r\n\r\n", ParseError.InvalidStatusLine)]
    [InlineData("HTTP/1.1 20\r\n\r\n", ParseError.InvalidStatusLine)]
    [InlineData("HTTP/1.1  200\r\n\r\n", ParseError.InvalidStatusLine)]
    [InlineData("HTTP/1.1 099 x\r\n\r\n", ParseError.InvalidStatusLine)]
    [InlineData("HTTP/1.1 2000\r\n\r\n", ParseError.InvalidStatusLine)]
    [InlineData("HTTP/1.1 200 OK\n\n", ParseError.InvalidStatusLine)]
    [InlineData("HTTP/1.1 200 OK\r\r\n\r\n", ParseError.InvalidStatusLine)]
    [InlineData("HTTP/1.1 200 OK\r\nX: a\n\r\n", ParseError.InvalidHeader)]
    [InlineData("HTTP/1.1 200 OK\r\nX : a\r\n\r\n", ParseError.InvalidHeader)]
    [InlineData("HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n", ParseError.InvalidHeader)]
    [InlineData("HTTP/1.1 200 OK\r\nX: a\0\r\n\r\n", ParseError.InvalidHeader)]
    [InlineData("HTTP/1.1 200 OK\r\nNoColon\r\n\r\n", ParseError.InvalidHeader)]
    public void Malformed_response_head_is_refused_for_every_split(string head, ParseError error) =>
        SplitChecks.AssertSameForEverySplit(WireParser.HttpResponse, Encoding.Latin1.GetBytes(head), ParseOutcome.Invalid(error));

    [Fact]
    public void Response_head_that_does_not_end_within_the_limit_is_too_large()
    {
        string tooLarge = "HTTP/1.1 200 OK\r\nX: " + new string('a', WireParser.HttpHeadLimit) + "\r\n\r\n";
        SplitChecks.AssertSameForEverySplit(WireParser.HttpResponse, Ascii(tooLarge), ParseOutcome.Invalid(ParseError.HeadTooLarge));

        // Exactly at the limit is still a head.
        string fits = "HTTP/1.1 200 OK\r\nX: " + new string('a', WireParser.HttpHeadLimit - 24) + "\r\n\r\n";
        Assert.Equal(WireParser.HttpHeadLimit, fits.Length);
        Assert.Equal(OperationStatus.Done, WireParser.HttpResponse.Parse(Ascii(fits)).Status);
    }

    [Theory]
    [InlineData("user", "pass", "Basic dXNlcjpwYXNz")]
    [InlineData("", "", "Basic Og==")]
    [InlineData("Aladdin", "open sesame", "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==")]
    [InlineData("u", "p:with:colons", "Basic dTpwOndpdGg6Y29sb25z")]
    public void Basic_credentials_are_encoded_and_decode_back(string user, string password, string expected)
    {
        WriterChecks.AssertWrites(
            Ascii(expected),
            (Span<byte> d, out int w) => HttpBasicCredentials.TryEncode(Ascii(user), Ascii(password), d, out w),
            writer =>
            {
                int length = HttpBasicCredentials.GetEncodedLength(Ascii(user), Ascii(password));
                HttpBasicCredentials.TryEncode(Ascii(user), Ascii(password), writer.GetSpan(length), out int written);
                writer.Advance(written);
                return written;
            },
            HttpBasicCredentials.GetEncodedLength(Ascii(user), Ascii(password)));

        byte[] buffer = new byte[64];
        Assert.Equal(OperationStatus.Done, HttpBasicCredentials.TryDecode(Ascii(expected), buffer, out ReadOnlySpan<byte> u, out ReadOnlySpan<byte> p));
        Assert.Equal(user, Encoding.ASCII.GetString(u));
        Assert.Equal(password, Encoding.ASCII.GetString(p));
    }

    [Fact]
    public void Basic_user_id_with_a_colon_is_refused() =>
        Assert.Throws<ArgumentException>(() => HttpBasicCredentials.GetEncodedLength("a:b"u8, "c"u8));
}
