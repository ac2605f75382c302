// RFC 9112 §4 and RFC 9110 §9.3.6, §15: the proxy's answer to a CONNECT, server to client.
//
//   status-line = HTTP-version SP status-code SP [ reason-phrase ]
//   response    = status-line CRLF *( field-line CRLF ) CRLF
//
//   HTTP/1.1 200 Connection established\r\n\r\n           the tunnel is open; tunnel data follows at once
//   HTTP/1.1 407 Proxy Authentication Required\r\n         with Proxy-Authenticate: Basic realm="..." (RFC 9110 §15.5.8,
//   Proxy-Authenticate: Basic realm="proxy"\r\n             RFC 7617 §2)
//   Content-Length: 0\r\n\r\n
//   HTTP/1.1 405 Method Not Allowed\r\n                    with Allow: CONNECT (RFC 9110 §15.5.6)
//
//   A 2xx answer to CONNECT must not carry Content-Length (RFC 9110 §8.6); every other answer here says
//   Content-Length: 0, so that the client knows where it ends and may retry on the same connection (after a 407).
using System;
using System.Buffers;
using Socks5.Protocol.Internal;

namespace Socks5.Protocol.Wire;

/// <summary>Writes a proxy's HTTP/1.1 response to a CONNECT request (or to another method, refused).</summary>
public static class HttpConnectResponse
{
    private static ReadOnlySpan<byte> Version => "HTTP/1.1 "u8;

    private static ReadOnlySpan<byte> Empty => "Content-Length: 0\r\n\r\n"u8;

    /// <summary>
    /// The length of the response <see cref="TryWrite"/> writes for <paramref name="statusCode"/>.
    /// </summary>
    /// <param name="statusCode">200 to 599, not 407.</param>
    /// <returns>The response's length.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The code is outside 200 to 599, or is 407 (see <see cref="TryWriteProxyAuthenticationRequired"/>).</exception>
    public static int GetLength(int statusCode)
    {
        CheckStatusCode(statusCode);
        return StatusLineLength(statusCode) + Fields(statusCode).Length;
    }

    /// <summary>
    /// Writes the status line and the fields the status needs: nothing for 2xx (the tunnel starts right after),
    /// <c>Allow: CONNECT</c> for 405, and <c>Content-Length: 0</c> for every answer that is not 2xx.
    /// The reason phrase is the usual one (<c>Connection established</c> for 200), empty for codes without one here.
    /// </summary>
    /// <param name="statusCode">200 to 599, not 407: e.g. 200, 400, 403, 405, 502, 504.</param>
    /// <param name="destination">Where to write.</param>
    /// <param name="bytesWritten">The bytes written; 0 when false.</param>
    /// <returns>False, with nothing written, when the destination is too small.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The code is outside 200 to 599, or is 407 (nothing is written).</exception>
    public static bool TryWrite(int statusCode, Span<byte> destination, out int bytesWritten)
    {
        int length = GetLength(statusCode);
        if (destination.Length < length)
        {
            bytesWritten = 0;
            return false;
        }

        int offset = WriteStatusLine(statusCode, destination);
        Fields(statusCode).CopyTo(destination.Slice(offset));
        bytesWritten = length;
        return true;
    }

    /// <summary>Writes a response to <paramref name="writer"/> (see <see cref="TryWrite"/>).</summary>
    /// <param name="writer">The writer.</param>
    /// <param name="statusCode">200 to 599, not 407.</param>
    /// <returns>The bytes written.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The code is outside 200 to 599, or is 407 (nothing is written).</exception>
    public static int Write(IBufferWriter<byte> writer, int statusCode)
    {
        int length = GetLength(statusCode);
        bool ok = TryWrite(statusCode, BufferWriterHelper.GetSpan(writer, length), out int written);
        return BufferWriterHelper.Commit(writer, ok, written);
    }

    /// <summary>The length of the 407 response <see cref="TryWriteProxyAuthenticationRequired"/> writes for <paramref name="realm"/>.</summary>
    /// <param name="realm">The realm, as ASCII text without control characters.</param>
    /// <returns>The response's length.</returns>
    /// <exception cref="ArgumentException">The realm has a control character or a byte above 0x7E.</exception>
    public static int GetProxyAuthenticationRequiredLength(ReadOnlySpan<byte> realm)
    {
        int quoted = 0;
        foreach (byte b in realm)
        {
            if (b is < 0x20 or > 0x7E)
            {
                ThrowHelper.ThrowArgument("A realm is written as printable ASCII.", nameof(realm));
            }

            quoted += b is (byte)'"' or (byte)'\\' ? 2 : 1;
        }

        return StatusLineLength(407) + ChallengeStart.Length + quoted + ChallengeEnd.Length + Empty.Length;
    }

    /// <summary>
    /// Writes <c>407 Proxy Authentication Required</c> with <c>Proxy-Authenticate: Basic realm="..."</c> (RFC 7617 §2),
    /// the realm as a quoted-string (a quote or backslash in it is escaped), and <c>Content-Length: 0</c>.
    /// </summary>
    /// <param name="realm">The realm, as ASCII text without control characters.</param>
    /// <param name="destination">Where to write.</param>
    /// <param name="bytesWritten">The bytes written; 0 when false.</param>
    /// <returns>False, with nothing written, when the destination is too small.</returns>
    /// <exception cref="ArgumentException">The realm has a control character or a byte above 0x7E (nothing is written).</exception>
    public static bool TryWriteProxyAuthenticationRequired(ReadOnlySpan<byte> realm, Span<byte> destination, out int bytesWritten)
    {
        int length = GetProxyAuthenticationRequiredLength(realm);
        if (destination.Length < length)
        {
            bytesWritten = 0;
            return false;
        }

        int offset = WriteStatusLine(407, destination);
        ChallengeStart.CopyTo(destination.Slice(offset));
        offset += ChallengeStart.Length;
        foreach (byte b in realm)
        {
            if (b is (byte)'"' or (byte)'\\')
            {
                destination[offset++] = (byte)'\\';
            }

            destination[offset++] = b;
        }

        ChallengeEnd.CopyTo(destination.Slice(offset));
        offset += ChallengeEnd.Length;
        Empty.CopyTo(destination.Slice(offset));
        bytesWritten = length;
        return true;
    }

    /// <summary>Writes a 407 response to <paramref name="writer"/> (see <see cref="TryWriteProxyAuthenticationRequired"/>).</summary>
    /// <param name="writer">The writer.</param>
    /// <param name="realm">The realm, as ASCII text without control characters.</param>
    /// <returns>The bytes written.</returns>
    /// <exception cref="ArgumentException">The realm has a control character or a byte above 0x7E (nothing is written).</exception>
    public static int WriteProxyAuthenticationRequired(IBufferWriter<byte> writer, ReadOnlySpan<byte> realm)
    {
        int length = GetProxyAuthenticationRequiredLength(realm);
        bool ok = TryWriteProxyAuthenticationRequired(realm, BufferWriterHelper.GetSpan(writer, length), out int written);
        return BufferWriterHelper.Commit(writer, ok, written);
    }

    private static ReadOnlySpan<byte> ChallengeStart => "Proxy-Authenticate: Basic realm=\""u8;

    private static ReadOnlySpan<byte> ChallengeEnd => "\"\r\n"u8;

    private static void CheckStatusCode(int statusCode)
    {
        if (statusCode is < 200 or > 599 || statusCode == 407)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(statusCode), $"A CONNECT answer here is 200 to 599 (407 has its own method with the realm), not {statusCode}.");
        }
    }

    private static ReadOnlySpan<byte> Fields(int statusCode) => statusCode switch
    {
        < 300 => "\r\n"u8,
        405 => "Allow: CONNECT\r\nContent-Length: 0\r\n\r\n"u8,
        _ => Empty,
    };

    private static ReadOnlySpan<byte> ReasonPhrase(int statusCode) => statusCode switch
    {
        200 => "Connection established"u8,
        400 => "Bad Request"u8,
        403 => "Forbidden"u8,
        405 => "Method Not Allowed"u8,
        407 => "Proxy Authentication Required"u8,
        408 => "Request Timeout"u8,
        431 => "Request Header Fields Too Large"u8,
        500 => "Internal Server Error"u8,
        502 => "Bad Gateway"u8,
        503 => "Service Unavailable"u8,
        504 => "Gateway Timeout"u8,
        505 => "HTTP Version Not Supported"u8,
        _ => default,
    };

    // "HTTP/1.1 " + three digits + SP + reason + CRLF.
    private static int StatusLineLength(int statusCode) => Version.Length + 3 + 1 + ReasonPhrase(statusCode).Length + 2;

    private static int WriteStatusLine(int statusCode, Span<byte> destination)
    {
        Version.CopyTo(destination);
        int offset = Version.Length;
        destination[offset++] = (byte)('0' + (statusCode / 100));
        destination[offset++] = (byte)('0' + (statusCode / 10 % 10));
        destination[offset++] = (byte)('0' + (statusCode % 10));
        destination[offset++] = (byte)' ';
        ReadOnlySpan<byte> reason = ReasonPhrase(statusCode);
        reason.CopyTo(destination.Slice(offset));
        offset += reason.Length;
        destination[offset++] = (byte)'\r';
        destination[offset++] = (byte)'\n';
        return offset;
    }
}
