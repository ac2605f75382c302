// RFC 9112 §2-§5 and RFC 9110 §9.3.6: the head of an HTTP/1.x request, as a client sends it to open a tunnel with
// CONNECT.
//
//   HTTP-message   = start-line CRLF *( field-line CRLF ) CRLF [ message-body ]
//   request-line   = method SP request-target SP HTTP-version
//   method         = token
//   HTTP-version   = "HTTP" "/" DIGIT "." DIGIT
//   field-line     = field-name ":" OWS field-value OWS
//   authority-form = uri-host ":" port                (the request-target of CONNECT; the port is required)
//
//   CONNECT example.com:443 HTTP/1.1\r\n
//   Host: example.com:443\r\n
//   Proxy-Authorization: Basic dXNlcjpwYXNz\r\n
//   \r\n
//
//   A CONNECT request has no content (RFC 9110 §9.3.6): what follows the empty line is tunnel data, so the parser
//   consumes exactly the head. Strict, as Kestrel is: each line ends with CRLF (a bare LF, which RFC 9112 §2.2 lets a
//   recipient accept, is refused), no empty lines before the request line, single spaces in it, no obsolete line
//   folding, no whitespace between a field name and its colon (§5.1), no CR, LF or NUL inside a value (§5.5), and an
//   HTTP/1.1 request carries exactly one Host field (§3.2). The head is bounded (8 KiB unless the caller says).
//
//   The writer sends the head above: the request line, Host with the same authority, and Proxy-Authorization when the
//   client has credentials.
using System;
using System.Buffers;
using Socks5.Protocol.Internal;

namespace Socks5.Protocol.Wire;

/// <summary>
/// The head of an HTTP/1.x request to a proxy: the method (so that a server can answer 405 to anything but CONNECT),
/// the CONNECT target, the minor version and the Proxy-Authorization value. Every field refers to the parsed bytes.
/// </summary>
public readonly ref struct HttpConnectRequest
{
    /// <summary>The head size limit of the overloads without one: 8 KiB, the request line, the fields and the empty line.</summary>
    public const int DefaultMaxHeadLength = 8 * 1024;

    private const int VersionLength = 10; // "HTTP/1.1\r\n"

    private HttpConnectRequest(ReadOnlySpan<byte> method, ReadOnlySpan<byte> target, int minorVersion, ReadOnlySpan<byte> host, AddressType hostType, ushort port, ReadOnlySpan<byte> proxyAuthorization, bool hasProxyAuthorization)
    {
        Method = method;
        RequestTarget = target;
        MinorVersion = minorVersion;
        Host = host;
        HostType = hostType;
        Port = port;
        ProxyAuthorization = proxyAuthorization;
        HasProxyAuthorization = hasProxyAuthorization;
    }

    /// <summary>The method, as sent (methods are case-sensitive: only <c>CONNECT</c> is CONNECT).</summary>
    public ReadOnlySpan<byte> Method { get; }

    /// <summary>True when the method is <c>CONNECT</c>; otherwise a proxy that only tunnels answers 405.</summary>
    public bool IsConnect => Method.SequenceEqual("CONNECT"u8);

    /// <summary>The request-target, as sent: <c>host:port</c> for CONNECT, anything without whitespace otherwise.</summary>
    public ReadOnlySpan<byte> RequestTarget { get; }

    /// <summary>The minor version: 0 for HTTP/1.0, 1 for HTTP/1.1 (a later 1.x is kept as its digit).</summary>
    public int MinorVersion { get; }

    /// <summary>
    /// For CONNECT, the target's host: a name (ASCII, percent-encoding kept), an IPv4 literal, or an IPv6 literal
    /// without its brackets. Empty for other methods.
    /// </summary>
    public ReadOnlySpan<byte> Host { get; }

    /// <summary>
    /// For CONNECT, what <see cref="Host"/> is: <see cref="AddressType.IPv4"/> (four decimal numbers up to 255, without leading zeros),
    /// <see cref="AddressType.IPv6"/> (an IPv6 address in brackets) or <see cref="AddressType.DomainName"/>. 0 for other methods.
    /// </summary>
    public AddressType HostType { get; }

    /// <summary>For CONNECT, the target's port, 1 to 65535; 0 for other methods.</summary>
    public ushort Port { get; }

    /// <summary>True when the head has a Proxy-Authorization field (even an empty one).</summary>
    public bool HasProxyAuthorization { get; }

    /// <summary>The Proxy-Authorization value without the whitespace around it (e.g. <c>Basic dXNlcjpwYXNz</c>); empty when absent.</summary>
    public ReadOnlySpan<byte> ProxyAuthorization { get; }

    /// <summary>
    /// The CONNECT target as an endpoint: a domain name referring to <see cref="Host"/>, or an IPv4 or IPv6 address
    /// read into <paramref name="buffer"/>. Allocates nothing.
    /// </summary>
    /// <param name="buffer">At least 16 bytes, for the address bytes of an IP literal.</param>
    /// <returns>The endpoint, with <see cref="Port"/>.</returns>
    /// <exception cref="InvalidOperationException">The request is not a CONNECT (it has no host and port).</exception>
    /// <exception cref="ArgumentException">The buffer is smaller than 16 bytes.</exception>
    public Socks5EndPoint GetDestination(Span<byte> buffer)
    {
        if (Port == 0)
        {
            ThrowHelper.ThrowInvalidOperation("Only a CONNECT request names a host and port.");
        }

        if (buffer.Length < 16)
        {
            ThrowHelper.ThrowArgument("The buffer must hold at least 16 bytes.", nameof(buffer));
        }

        switch (HostType)
        {
            case AddressType.IPv4:
                IPLiteral.TryParseIPv4(Host, buffer);
                return new Socks5EndPoint(AddressType.IPv4, buffer.Slice(0, 4), Port);
            case AddressType.IPv6:
                IPLiteral.TryParseIPv6(Host, buffer);
                return new Socks5EndPoint(AddressType.IPv6, buffer.Slice(0, 16), Port);
            default:
                return new Socks5EndPoint(AddressType.DomainName, Host, Port);
        }
    }

    /// <summary>Parses a request head of at most <see cref="DefaultMaxHeadLength"/> bytes from the start of <paramref name="source"/>.</summary>
    /// <param name="source">The bytes received.</param>
    /// <param name="request">The head, referring to <paramref name="source"/>, when <c>Done</c>.</param>
    /// <param name="bytesConsumed">The head's length, up to and including the empty line, when <c>Done</c>; otherwise 0.</param>
    /// <param name="error">Why, when <c>InvalidData</c> (see the overload with a limit).</param>
    /// <returns><c>Done</c>, <c>NeedMoreData</c> or <c>InvalidData</c>. Only <c>Done</c> consumes anything.</returns>
    public static OperationStatus TryParse(ReadOnlySpan<byte> source, out HttpConnectRequest request, out int bytesConsumed, out ParseError error) =>
        TryParse(source, DefaultMaxHeadLength, out request, out bytesConsumed, out error);

    /// <summary>Parses a request head of at most <paramref name="maxHeadLength"/> bytes from the start of <paramref name="source"/>.</summary>
    /// <param name="source">The bytes received.</param>
    /// <param name="maxHeadLength">The largest head accepted, the empty line included.</param>
    /// <param name="request">The head, referring to <paramref name="source"/>, when <c>Done</c>.</param>
    /// <param name="bytesConsumed">The head's length, up to and including the empty line, when <c>Done</c>; otherwise 0.</param>
    /// <param name="error">
    /// Why, when <c>InvalidData</c>, each reported as soon as the bad byte is read:
    /// <see cref="ParseError.InvalidRequestLine"/>, <see cref="ParseError.UnsupportedVersion"/> (HTTP/ with a major
    /// version other than 1), <see cref="ParseError.InvalidRequestTarget"/> (a CONNECT target that is not host:port),
    /// <see cref="ParseError.InvalidHeader"/>, or <see cref="ParseError.HeadTooLarge"/> (no end within the limit).
    /// </param>
    /// <returns><c>Done</c>, <c>NeedMoreData</c> or <c>InvalidData</c>. Only <c>Done</c> consumes anything.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxHeadLength"/> is less than 1.</exception>
    public static OperationStatus TryParse(ReadOnlySpan<byte> source, int maxHeadLength, out HttpConnectRequest request, out int bytesConsumed, out ParseError error)
    {
        if (maxHeadLength < 1)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(maxHeadLength), "The head size limit is at least 1 byte.");
        }

        request = default;
        bytesConsumed = 0;
        error = ParseError.None;

        // Past the limit, a head that has not ended never will: what is missing is then an error, not more data.
        ReadOnlySpan<byte> head = source.Length > maxHeadLength ? source.Slice(0, maxHeadLength) : source;
        ParseError whenShort = source.Length >= maxHeadLength ? ParseError.HeadTooLarge : ParseError.None;

        // method SP
        int pos = 0;
        while (pos < head.Length && HttpSyntax.IsTokenChar(head[pos]))
        {
            pos++;
        }

        if (pos == head.Length)
        {
            return Short(whenShort, out error);
        }

        if (pos == 0 || head[pos] != ' ')
        {
            return Invalid(ParseError.InvalidRequestLine, out error);
        }

        ReadOnlySpan<byte> method = head.Slice(0, pos);

        // request-target SP
        int targetStart = ++pos;
        while (pos < head.Length && HttpSyntax.IsVisibleAscii(head[pos]))
        {
            pos++;
        }

        if (pos == head.Length)
        {
            return Short(whenShort, out error);
        }

        if (pos == targetStart || head[pos] != ' ')
        {
            return Invalid(ParseError.InvalidRequestLine, out error);
        }

        ReadOnlySpan<byte> target = head.Slice(targetStart, pos - targetStart);
        pos++;

        // "HTTP/" DIGIT "." DIGIT CRLF
        ReadOnlySpan<byte> pattern = "HTTP/1.1\r\n"u8;
        for (int i = 0; i < VersionLength; i++)
        {
            if (pos + i == head.Length)
            {
                return Short(whenShort, out error);
            }

            byte b = head[pos + i];
            bool valid = i switch
            {
                5 => HttpSyntax.IsDigit(b),
                7 => HttpSyntax.IsDigit(b),
                _ => b == pattern[i],
            };
            if (!valid)
            {
                return Invalid(ParseError.InvalidRequestLine, out error);
            }

            if (i == 5 && b != '1')
            {
                return Invalid(ParseError.UnsupportedVersion, out error);
            }
        }

        int minorVersion = head[pos + 7] - '0';
        pos += VersionLength;

        ReadOnlySpan<byte> host = default;
        AddressType hostType = 0;
        ushort port = 0;
        if (method.SequenceEqual("CONNECT"u8) && !TryParseAuthority(target, out host, out hostType, out port))
        {
            return Invalid(ParseError.InvalidRequestTarget, out error);
        }

        // *( field-line CRLF ) CRLF
        int hostFields = 0;
        bool hasProxyAuthorization = false;
        ReadOnlySpan<byte> proxyAuthorization = default;
        while (true)
        {
            if (pos == head.Length)
            {
                return Short(whenShort, out error);
            }

            if (head[pos] == '\r')
            {
                if (pos + 1 == head.Length)
                {
                    return Short(whenShort, out error);
                }

                if (head[pos + 1] != '\n')
                {
                    return Invalid(ParseError.InvalidHeader, out error);
                }

                pos += 2;
                break;
            }

            // A field name starts the line: whitespace here is an obsolete line folding, anything else not a token is bad.
            int nameStart = pos;
            while (pos < head.Length && HttpSyntax.IsTokenChar(head[pos]))
            {
                pos++;
            }

            if (pos == head.Length)
            {
                return Short(whenShort, out error);
            }

            if (pos == nameStart || head[pos] != ':')
            {
                return Invalid(ParseError.InvalidHeader, out error);
            }

            ReadOnlySpan<byte> name = head.Slice(nameStart, pos - nameStart);
            int valueStart = ++pos;
            while (pos < head.Length && HttpSyntax.IsFieldValueChar(head[pos]))
            {
                pos++;
            }

            if (pos == head.Length || (head[pos] == '\r' && pos + 1 == head.Length))
            {
                return Short(whenShort, out error);
            }

            if (head[pos] != '\r' || head[pos + 1] != '\n')
            {
                return Invalid(ParseError.InvalidHeader, out error);
            }

            ReadOnlySpan<byte> value = HttpSyntax.TrimWhitespace(head.Slice(valueStart, pos - valueStart));
            pos += 2;
            if (HttpSyntax.EqualsIgnoreCase(name, "host"u8))
            {
                hostFields++;
                if (hostFields > 1)
                {
                    return Invalid(ParseError.InvalidHeader, out error);
                }
            }
            else if (HttpSyntax.EqualsIgnoreCase(name, "proxy-authorization"u8))
            {
                // Credentials are one value, not a list: two of them leave it to chance which one is checked.
                if (hasProxyAuthorization)
                {
                    return Invalid(ParseError.InvalidHeader, out error);
                }

                hasProxyAuthorization = true;
                proxyAuthorization = value;
            }
        }

        if (minorVersion >= 1 && hostFields == 0)
        {
            return Invalid(ParseError.InvalidHeader, out error);
        }

        request = new HttpConnectRequest(method, target, minorVersion, host, hostType, port, proxyAuthorization, hasProxyAuthorization);
        bytesConsumed = pos;
        return OperationStatus.Done;
    }

    /// <summary>
    /// Parses a request head of at most <see cref="DefaultMaxHeadLength"/> bytes from the start of <paramref name="source"/>,
    /// copying it into <paramref name="scratch"/> when it crosses segments.
    /// </summary>
    /// <param name="source">The bytes received.</param>
    /// <param name="scratch">At least <see cref="DefaultMaxHeadLength"/> bytes, used only when the head crosses segments.</param>
    /// <param name="request">The head when <c>Done</c>.</param>
    /// <param name="bytesConsumed">The head's length when <c>Done</c>; otherwise 0.</param>
    /// <param name="error">Why, when <c>InvalidData</c> (see the span overload with a limit).</param>
    /// <returns>As the span overload.</returns>
    /// <exception cref="ArgumentException"><paramref name="scratch"/> is too small and was needed.</exception>
    public static OperationStatus TryParse(in ReadOnlySequence<byte> source, Span<byte> scratch, out HttpConnectRequest request, out int bytesConsumed, out ParseError error) =>
        TryParse(source, scratch, DefaultMaxHeadLength, out request, out bytesConsumed, out error);

    /// <summary>
    /// Parses a request head of at most <paramref name="maxHeadLength"/> bytes from the start of <paramref name="source"/>,
    /// copying it into <paramref name="scratch"/> when it crosses segments.
    /// </summary>
    /// <param name="source">The bytes received.</param>
    /// <param name="scratch">At least <paramref name="maxHeadLength"/> bytes, used only when the head crosses segments.</param>
    /// <param name="maxHeadLength">The largest head accepted, the empty line included.</param>
    /// <param name="request">The head when <c>Done</c>.</param>
    /// <param name="bytesConsumed">The head's length when <c>Done</c>; otherwise 0.</param>
    /// <param name="error">Why, when <c>InvalidData</c> (see the span overload with a limit).</param>
    /// <returns>As the span overload.</returns>
    /// <exception cref="ArgumentException"><paramref name="scratch"/> is smaller than <paramref name="maxHeadLength"/> and was needed.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxHeadLength"/> is less than 1.</exception>
    public static OperationStatus TryParse(in ReadOnlySequence<byte> source, Span<byte> scratch, int maxHeadLength, out HttpConnectRequest request, out int bytesConsumed, out ParseError error)
    {
        if (maxHeadLength < 1)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(maxHeadLength), "The head size limit is at least 1 byte.");
        }

        return TryParse(SequenceHelper.GetSpan(source, scratch, maxHeadLength), maxHeadLength, out request, out bytesConsumed, out error);
    }

    /// <summary>The length of the CONNECT head <see cref="TryWrite"/> writes.</summary>
    /// <param name="authority">The target, <c>host:port</c> (an IPv6 host in brackets), as visible ASCII.</param>
    /// <param name="proxyAuthorization">The Proxy-Authorization value (e.g. <c>Basic dXNlcjpwYXNz</c>); empty for none.</param>
    /// <returns>The head's length.</returns>
    /// <exception cref="ArgumentException">
    /// The authority is empty or has a byte outside visible ASCII, or the value has a control character (CR, LF, NUL...).
    /// </exception>
    public static int GetLength(ReadOnlySpan<byte> authority, ReadOnlySpan<byte> proxyAuthorization)
    {
        if (authority.IsEmpty || authority.Length > MaxAuthorityLength)
        {
            ThrowHelper.ThrowArgument($"A CONNECT target has 1 to {MaxAuthorityLength} bytes.", nameof(authority));
        }

        foreach (byte b in authority)
        {
            if (!HttpSyntax.IsVisibleAscii(b))
            {
                ThrowHelper.ThrowArgument("A CONNECT target is visible ASCII: host:port.", nameof(authority));
            }
        }

        foreach (byte b in proxyAuthorization)
        {
            if (!HttpSyntax.IsFieldValueChar(b))
            {
                ThrowHelper.ThrowArgument("A field value cannot hold CR, LF, NUL or another control character.", nameof(proxyAuthorization));
            }
        }

        int length = ConnectStart.Length + authority.Length + HostStart.Length + authority.Length + 2 + 2;
        return proxyAuthorization.IsEmpty ? length : length + AuthorizationStart.Length + proxyAuthorization.Length + 2;
    }

    /// <summary>
    /// Writes a CONNECT head: <c>CONNECT host:port HTTP/1.1</c>, <c>Host: host:port</c>, <c>Proxy-Authorization</c> when a
    /// value is given, and the empty line.
    /// </summary>
    /// <param name="authority">The target, <c>host:port</c> (an IPv6 host in brackets), as visible ASCII.</param>
    /// <param name="proxyAuthorization">The Proxy-Authorization value; empty for none.</param>
    /// <param name="destination">Where to write.</param>
    /// <param name="bytesWritten">The bytes written; 0 when false.</param>
    /// <returns>False, with nothing written, when the destination is too small.</returns>
    /// <exception cref="ArgumentException">As <see cref="GetLength"/> (nothing is written).</exception>
    public static bool TryWrite(ReadOnlySpan<byte> authority, ReadOnlySpan<byte> proxyAuthorization, Span<byte> destination, out int bytesWritten)
    {
        int length = GetLength(authority, proxyAuthorization);
        if (destination.Length < length)
        {
            bytesWritten = 0;
            return false;
        }

        int offset = Append(destination, 0, ConnectStart);
        offset = Append(destination, offset, authority);
        offset = Append(destination, offset, HostStart);
        offset = Append(destination, offset, authority);
        offset = Append(destination, offset, "\r\n"u8);
        if (!proxyAuthorization.IsEmpty)
        {
            offset = Append(destination, offset, AuthorizationStart);
            offset = Append(destination, offset, proxyAuthorization);
            offset = Append(destination, offset, "\r\n"u8);
        }

        bytesWritten = Append(destination, offset, "\r\n"u8);
        return true;
    }

    /// <summary>Writes a CONNECT head to <paramref name="writer"/> (see <see cref="TryWrite"/>).</summary>
    /// <param name="writer">The writer.</param>
    /// <param name="authority">The target, <c>host:port</c>.</param>
    /// <param name="proxyAuthorization">The Proxy-Authorization value; empty for none.</param>
    /// <returns>The bytes written.</returns>
    /// <exception cref="ArgumentException">As <see cref="GetLength"/> (nothing is written).</exception>
    public static int Write(IBufferWriter<byte> writer, ReadOnlySpan<byte> authority, ReadOnlySpan<byte> proxyAuthorization)
    {
        int length = GetLength(authority, proxyAuthorization);
        bool ok = TryWrite(authority, proxyAuthorization, BufferWriterHelper.GetSpan(writer, length), out int written);
        return BufferWriterHelper.Commit(writer, ok, written);
    }

    // A 255-byte host in brackets, a colon and five digits.
    private const int MaxAuthorityLength = 255 + 2 + 1 + 5;

    private static ReadOnlySpan<byte> ConnectStart => "CONNECT "u8;

    private static ReadOnlySpan<byte> HostStart => " HTTP/1.1\r\nHost: "u8;

    private static ReadOnlySpan<byte> AuthorizationStart => "Proxy-Authorization: "u8;

    private static int Append(Span<byte> destination, int offset, ReadOnlySpan<byte> text)
    {
        text.CopyTo(destination.Slice(offset));
        return offset + text.Length;
    }

    // authority-form = uri-host ":" port, uri-host = IP-literal / IPv4address / reg-name (RFC 3986 §3.2.2). The host
    // has 1 to 255 bytes, as SOCKS names do. An IP literal is an IPv6 address (no zone, no IPvFuture); a reg-name that
    // reads as four decimal numbers up to 255 is an IPv4 address.
    private static bool TryParseAuthority(ReadOnlySpan<byte> target, out ReadOnlySpan<byte> host, out AddressType hostType, out ushort port)
    {
        host = default;
        hostType = 0;
        port = 0;
        int colon;
        if (target[0] == '[')
        {
            int close = target.IndexOf((byte)']');
            if (close < 0 || close + 1 == target.Length || target[close + 1] != ':')
            {
                return false;
            }

            host = target.Slice(1, close - 1);
            hostType = AddressType.IPv6;
            colon = close + 1;
            if (!IPLiteral.TryParseIPv6(host, stackalloc byte[16]))
            {
                return false;
            }
        }
        else
        {
            colon = target.IndexOf((byte)':');
            if (colon <= 0)
            {
                return false;
            }

            host = target.Slice(0, colon);
            hostType = IPLiteral.TryParseIPv4(host, stackalloc byte[4]) ? AddressType.IPv4 : AddressType.DomainName;
            for (int i = 0; i < host.Length; i++)
            {
                if (host[i] == '%')
                {
                    if (i + 2 >= host.Length || !HttpSyntax.IsHexDigit(host[i + 1]) || !HttpSyntax.IsHexDigit(host[i + 2]))
                    {
                        return false;
                    }

                    i += 2;
                }
                else if (!HttpSyntax.IsRegNameChar(host[i]))
                {
                    return false;
                }
            }
        }

        if (host.Length is 0 or > Socks5EndPoint.MaxDomainNameLength)
        {
            return false;
        }

        ReadOnlySpan<byte> digits = target.Slice(colon + 1);
        if (digits.Length is 0 or > 5)
        {
            return false;
        }

        int value = 0;
        foreach (byte b in digits)
        {
            if (!HttpSyntax.IsDigit(b))
            {
                return false;
            }

            value = (value * 10) + (b - '0');
        }

        if (value is 0 or > ushort.MaxValue)
        {
            return false;
        }

        port = (ushort)value;
        return true;
    }

    private static OperationStatus Short(ParseError whenShort, out ParseError error)
    {
        error = whenShort;
        return whenShort == ParseError.None ? OperationStatus.NeedMoreData : OperationStatus.InvalidData;
    }

    private static OperationStatus Invalid(ParseError reason, out ParseError error)
    {
        error = reason;
        return OperationStatus.InvalidData;
    }
}
