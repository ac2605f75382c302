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
//
//   A client reads the head only: the status code says whether the tunnel is open, and a 2xx head is followed at once by
//   tunnel data, so the parser consumes exactly the head. Other answers end the exchange (the client closes), so their
//   content is never read. Each line ends with CRLF; a bare LF, a NUL or an obsolete line folding is refused.
using System;
using System.Buffers;
using Socks5.Protocol.Internal;

namespace Socks5.Protocol.Wire;

/// <summary>Writes a proxy's HTTP/1.1 response to a CONNECT request (or to another method, refused), and reads its head.</summary>
public static class HttpConnectResponse
{
    /// <summary>The head size limit of the overloads without one: 8 KiB, the status line, the fields and the empty line.</summary>
    public const int DefaultMaxHeadLength = 8 * 1024;

    // "HTTP/1.x 200" without the reason: the shortest status line a parser can judge.
    private const int StatusCodeEnd = 12;

    /// <summary>Parses a response head of at most <see cref="DefaultMaxHeadLength"/> bytes (see the overload with a limit).</summary>
    /// <param name="source">The bytes received.</param>
    /// <param name="statusCode">The status code (100 to 999) when <c>Done</c>; otherwise 0.</param>
    /// <param name="bytesConsumed">The head's length, up to and including the empty line, when <c>Done</c>; otherwise 0.</param>
    /// <param name="error">Why, when <c>InvalidData</c>.</param>
    /// <returns><c>Done</c>, <c>NeedMoreData</c> or <c>InvalidData</c>. Only <c>Done</c> consumes anything.</returns>
    public static OperationStatus TryParse(ReadOnlySpan<byte> source, out int statusCode, out int bytesConsumed, out ParseError error) =>
        TryParse(source, DefaultMaxHeadLength, out statusCode, out bytesConsumed, out error);

    /// <summary>
    /// Parses the head of a proxy's answer to CONNECT (status line, fields, empty line) from the start of <paramref name="source"/>.
    /// The fields are checked for syntax only; what follows the head (tunnel data, or the content of a refusal) is not consumed.
    /// </summary>
    /// <param name="source">The bytes received.</param>
    /// <param name="maxHeadLength">The largest head accepted, the empty line included.</param>
    /// <param name="statusCode">The status code (100 to 999) when <c>Done</c>; otherwise 0.</param>
    /// <param name="bytesConsumed">The head's length, up to and including the empty line, when <c>Done</c>; otherwise 0.</param>
    /// <param name="error">
    /// Why, when <c>InvalidData</c>: <see cref="ParseError.InvalidStatusLine"/> (known from the first bytes that are not
    /// <c>HTTP/1.</c>), <see cref="ParseError.InvalidHeader"/> or <see cref="ParseError.HeadTooLarge"/> (no empty line
    /// within <paramref name="maxHeadLength"/> bytes).
    /// </param>
    /// <returns><c>Done</c>, <c>NeedMoreData</c> or <c>InvalidData</c>. Only <c>Done</c> consumes anything.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxHeadLength"/> is less than 1.</exception>
    public static OperationStatus TryParse(ReadOnlySpan<byte> source, int maxHeadLength, out int statusCode, out int bytesConsumed, out ParseError error)
    {
        if (maxHeadLength < 1)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(maxHeadLength), "The head size limit is at least 1 byte.");
        }

        statusCode = 0;
        bytesConsumed = 0;
        error = ParseError.None;
        ReadOnlySpan<byte> head = source.Length > maxHeadLength ? source.Slice(0, maxHeadLength) : source;

        // A peer that is not an HTTP proxy (a SOCKS server answering) is known from its first bytes.
        ReadOnlySpan<byte> prefix = "HTTP/1."u8;
        int known = Math.Min(head.Length, prefix.Length);
        if (!head.Slice(0, known).SequenceEqual(prefix.Slice(0, known)))
        {
            error = ParseError.InvalidStatusLine;
            return OperationStatus.InvalidData;
        }

        int code = 0;
        int lineStart = 0;
        while (true)
        {
            ReadOnlySpan<byte> rest = head.Slice(lineStart);
            int lf = rest.IndexOf((byte)'\n');
            ReadOnlySpan<byte> line = lf < 0 ? rest : rest.Slice(0, lf);
            bool first = lineStart == 0;

            // A complete line ends with CR; a partial one may not hold a CR yet.
            int cr = line.IndexOf((byte)'\r');
            if (cr >= 0 && cr != line.Length - 1)
            {
                error = first ? ParseError.InvalidStatusLine : ParseError.InvalidHeader;
                return OperationStatus.InvalidData;
            }

            if (lf >= 0 && cr < 0)
            {
                // A bare LF.
                error = first ? ParseError.InvalidStatusLine : ParseError.InvalidHeader;
                return OperationStatus.InvalidData;
            }

            ReadOnlySpan<byte> content = cr >= 0 ? line.Slice(0, cr) : line;
            bool valid = first ? IsStatusLine(content, lf >= 0, out code) : IsFieldLine(content, lf >= 0);
            if (!valid)
            {
                error = first ? ParseError.InvalidStatusLine : ParseError.InvalidHeader;
                return OperationStatus.InvalidData;
            }

            if (lf < 0)
            {
                if (source.Length >= maxHeadLength)
                {
                    error = ParseError.HeadTooLarge;
                    return OperationStatus.InvalidData;
                }

                return OperationStatus.NeedMoreData;
            }

            lineStart += lf + 1;
            if (!first && content.IsEmpty)
            {
                statusCode = code;
                bytesConsumed = lineStart;
                return OperationStatus.Done;
            }
        }
    }

    /// <summary>
    /// Parses a response head of at most <paramref name="maxHeadLength"/> bytes, copying it into <paramref name="scratch"/> when it crosses segments.
    /// </summary>
    /// <param name="source">The bytes received.</param>
    /// <param name="scratch">At least <paramref name="maxHeadLength"/> bytes, used only when the head crosses segments.</param>
    /// <param name="maxHeadLength">The largest head accepted, the empty line included.</param>
    /// <param name="statusCode">The status code when <c>Done</c>; otherwise 0.</param>
    /// <param name="bytesConsumed">The head's length when <c>Done</c>; otherwise 0.</param>
    /// <param name="error">Why, when <c>InvalidData</c> (see the span overload).</param>
    /// <returns>As the span overload.</returns>
    /// <exception cref="ArgumentException"><paramref name="scratch"/> is smaller than <paramref name="maxHeadLength"/> and was needed.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxHeadLength"/> is less than 1.</exception>
    public static OperationStatus TryParse(in ReadOnlySequence<byte> source, Span<byte> scratch, int maxHeadLength, out int statusCode, out int bytesConsumed, out ParseError error)
    {
        if (maxHeadLength < 1)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(maxHeadLength), "The head size limit is at least 1 byte.");
        }

        return TryParse(SequenceHelper.GetSpan(source, scratch, maxHeadLength), maxHeadLength, out statusCode, out bytesConsumed, out error);
    }

    // status-line = HTTP-version SP status-code SP [ reason-phrase ]. The prefix "HTTP/1." was checked. A recipient
    // should accept a line that ends right after the code (RFC 9112 §4), so the SP before the reason is optional.
    private static bool IsStatusLine(ReadOnlySpan<byte> line, bool complete, out int code)
    {
        code = 0;
        for (int i = 7; i < line.Length && i < StatusCodeEnd; i++)
        {
            bool ok = i switch
            {
                7 => HttpSyntax.IsDigit(line[i]),
                8 => line[i] == ' ',
                9 => line[i] is >= (byte)'1' and <= (byte)'9',
                _ => HttpSyntax.IsDigit(line[i]),
            };
            if (!ok)
            {
                return false;
            }
        }

        if (line.Length < StatusCodeEnd)
        {
            return !complete;
        }

        if (line.Length > StatusCodeEnd && line[StatusCodeEnd] != ' ')
        {
            return false;
        }

        for (int i = StatusCodeEnd + 1; i < line.Length; i++)
        {
            if (!HttpSyntax.IsFieldValueChar(line[i]))
            {
                return false;
            }
        }

        code = ((line[9] - '0') * 100) + ((line[10] - '0') * 10) + (line[11] - '0');
        return true;
    }

    // field-line = field-name ":" OWS field-value OWS; the empty line ends the head. Only the syntax matters here.
    private static bool IsFieldLine(ReadOnlySpan<byte> line, bool complete)
    {
        if (line.IsEmpty)
        {
            return true;
        }

        int i = 0;
        while (i < line.Length && HttpSyntax.IsTokenChar(line[i]))
        {
            i++;
        }

        if (i == line.Length)
        {
            // Only a name so far: fine until the line ends without its colon.
            return !complete;
        }

        if (i == 0 || line[i] != ':')
        {
            return false;
        }

        for (i++; i < line.Length; i++)
        {
            if (!HttpSyntax.IsFieldValueChar(line[i]))
            {
                return false;
            }
        }

        return true;
    }

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
