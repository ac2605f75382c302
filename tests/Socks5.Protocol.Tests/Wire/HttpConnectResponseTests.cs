using System;
using System.Text;
using Socks5.Protocol.Tests.Support;
using Socks5.Protocol.Wire;
using Xunit;

namespace Socks5.Protocol.Tests.Wire;

public class HttpConnectResponseTests
{
    private static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);

    [Theory]
    [InlineData(200, "HTTP/1.1 200 Connection established\r\n\r\n")]
    [InlineData(400, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")]
    [InlineData(403, "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")]
    [InlineData(405, "HTTP/1.1 405 Method Not Allowed\r\nAllow: CONNECT\r\nContent-Length: 0\r\n\r\n")]
    [InlineData(431, "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\n\r\n")]
    [InlineData(502, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")]
    [InlineData(504, "HTTP/1.1 504 Gateway Timeout\r\nContent-Length: 0\r\n\r\n")]
    [InlineData(505, "HTTP/1.1 505 HTTP Version Not Supported\r\nContent-Length: 0\r\n\r\n")]
    [InlineData(599, "HTTP/1.1 599 \r\nContent-Length: 0\r\n\r\n")]
    [InlineData(204, "HTTP/1.1 204 \r\n\r\n")]
    public void Status_writes_its_line_and_fields(int status, string expected) =>
        WriterChecks.AssertWrites(
            Ascii(expected),
            (Span<byte> d, out int w) => HttpConnectResponse.TryWrite(status, d, out w),
            writer => HttpConnectResponse.Write(writer, status),
            HttpConnectResponse.GetLength(status));

    [Theory]
    [InlineData("proxy", "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"proxy\"\r\nContent-Length: 0\r\n\r\n")]
    [InlineData("", "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"\"\r\nContent-Length: 0\r\n\r\n")]
    [InlineData("a\"b\\c d", "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"a\\\"b\\\\c d\"\r\nContent-Length: 0\r\n\r\n")]
    public void Proxy_authentication_required_writes_the_Basic_challenge(string realm, string expected) =>
        WriterChecks.AssertWrites(
            Ascii(expected),
            (Span<byte> d, out int w) => HttpConnectResponse.TryWriteProxyAuthenticationRequired(Ascii(realm), d, out w),
            writer => HttpConnectResponse.WriteProxyAuthenticationRequired(writer, Ascii(realm)),
            HttpConnectResponse.GetProxyAuthenticationRequiredLength(Ascii(realm)));

    [Theory]
    [InlineData(407)]
    [InlineData(199)]
    [InlineData(100)]
    [InlineData(600)]
    [InlineData(-200)]
    public void A_status_without_its_own_fields_here_is_refused(int status) =>
        WriterChecks.AssertRejects(
            (Span<byte> d, out int w) => HttpConnectResponse.TryWrite(status, d, out w),
            writer => HttpConnectResponse.Write(writer, status),
            () => HttpConnectResponse.GetLength(status));

    [Theory]
    [InlineData("a\r\nX: y")]
    [InlineData("\x7f")]
    [InlineData("caf\xe9")]
    public void A_realm_that_would_break_the_field_is_refused(string realm)
    {
        byte[] bytes = Encoding.Latin1.GetBytes(realm);
        WriterChecks.AssertRejects(
            (Span<byte> d, out int w) => HttpConnectResponse.TryWriteProxyAuthenticationRequired(bytes, d, out w),
            writer => HttpConnectResponse.WriteProxyAuthenticationRequired(writer, bytes),
            () => HttpConnectResponse.GetProxyAuthenticationRequiredLength(bytes));
    }
}
