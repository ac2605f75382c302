using System.Globalization;
using System.Net.Sockets;
using System.Net;
using System.Text;
using System;
using Socks5.Protocol.Internal;
using Socks5.Protocol.Wire;

namespace Socks5.Protocol.Client;

/// <summary>
/// Endpoint conversions the client needs: host text to an endpoint, endpoints to text (escaped, since names often come
/// from the proxy), and address clean-ups.
/// </summary>
internal static class EndPoints
{
    /// <summary>
    /// An IP literal (<c>127.0.0.1</c>, <c>::1</c>, <c>[::1]</c>) becomes an <see cref="IPEndPoint"/>, anything else a
    /// <see cref="DnsEndPoint"/>: the rule of <see cref="Socks5EndPoint.FromHost"/>, so both read a host the same way.
    /// </summary>
    public static EndPoint FromHost(string host, int port)
    {
        if (host is null)
        {
            throw new ArgumentNullException(nameof(host));
        }

        if (port is < 0 or > 65535)
        {
            throw new ArgumentOutOfRangeException(nameof(port), port, "A port is 0 to 65535.");
        }

        if (Socks5EndPoint.TryParseIPLiteral(host, out IPAddress? ip))
        {
            return new IPEndPoint(ip, port);
        }

        return new DnsEndPoint(host, port);
    }

    /// <summary>
    /// <c>host:port</c>, IPv6 in brackets, without the address family <see cref="DnsEndPoint.ToString"/> adds; a name is
    /// <see cref="Escape">escaped</see>.
    /// </summary>
    public static string Format(EndPoint? endPoint) => endPoint switch
    {
        null => "(unknown)",
        DnsEndPoint dns => Escape(dns.Host) + ":" + dns.Port.ToString(CultureInfo.InvariantCulture),
        IPEndPoint ip => IPAddresses.Unmap(ip).ToString(),
        _ => Escape(endPoint.ToString() ?? string.Empty),
    };

    /// <summary>
    /// <paramref name="text"/> safe to put in a message or a log line: control, format (bidi overrides such as U+202E),
    /// line and paragraph separator characters, unpaired surrogates and non-characters become <c>\uXXXX</c>, and a
    /// backslash becomes two, so the escapes cannot be forged. A name from the proxy (a domain name may hold any byte)
    /// must not break a line, reorder the text around it, or send a terminal escape sequence.
    /// </summary>
    public static string Escape(string text)
    {
        StringBuilder? escaped = null;
        int copied = 0; // text up to here is in escaped already
        int i = 0;
        while (i < text.Length)
        {
            if (!MustEscape(text, i, out int width))
            {
                i += width;
                continue;
            }

            escaped ??= new StringBuilder(text.Length + 16);
            escaped.Append(text, copied, i - copied);
            for (int end = i + width; i < end; i++)
            {
                if (text[i] == '\\')
                {
                    escaped.Append(@"\\");
                }
                else
                {
                    escaped.Append(@"\u").Append(((int)text[i]).ToString("X4", CultureInfo.InvariantCulture));
                }
            }

            copied = i;
        }

        return escaped is null ? text : escaped.Append(text, copied, text.Length - copied).ToString();
    }

    /// <summary>
    /// Whether a name from the proxy could be looked up at all: 1 to 253 characters (and an optional final dot), in labels
    /// of 1 to 63 letters, digits, hyphens or underscores. Anything else is refused before it reaches a resolver.
    /// </summary>
    public static bool IsHostName(string name)
    {
        int length = name.Length > 0 && name[name.Length - 1] == '.' ? name.Length - 1 : name.Length;
        if (length is 0 or > MaxHostNameLength)
        {
            return false;
        }

        int label = 0;
        for (int i = 0; i < length; i++)
        {
            char c = name[i];
            if (c == '.')
            {
                if (label == 0)
                {
                    return false;
                }

                label = 0;
            }
            else if (c is not (>= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9' or '-' or '_') || ++label > MaxLabelLength)
            {
                return false;
            }
        }

        return label > 0;
    }

    /// <summary>
    /// A BND.ADDR of 0.0.0.0 or :: means "my address, whichever you reached me on": put the proxy's address there (its
    /// name, when the proxy was reached by name through a chain), so the result can be connected or sent to.
    /// </summary>
    public static EndPoint ReplaceUnspecified(EndPoint bound, EndPoint? proxy)
    {
        if (bound is IPEndPoint ip && (ip.Address.Equals(IPAddress.Any) || ip.Address.Equals(IPAddress.IPv6Any)))
        {
            switch (proxy)
            {
                case IPEndPoint proxyIp:
                    return new IPEndPoint(IPAddresses.Unmap(proxyIp).Address, ip.Port);
                case DnsEndPoint proxyName:
                    return new DnsEndPoint(proxyName.Host, ip.Port);
            }
        }

        return bound is IPEndPoint plain ? IPAddresses.Unmap(plain) : bound;
    }

    // RFC 1035 §2.3.4: 255 octets on the wire are at most 253 characters of text; a label is at most 63.
    private const int MaxHostNameLength = 253;
    private const int MaxLabelLength = 63;

    // width: the UTF-16 units of the code point at index (2 for a surrogate pair).
    private static bool MustEscape(string text, int index, out int width)
    {
        char c = text[index];
        width = char.IsSurrogatePair(text, index) ? 2 : 1;
        if (c == '\\')
        {
            return true;
        }

        if (c is >= ' ' and < '\x7F')
        {
            return false;
        }

        int codePoint = width == 2 ? char.ConvertToUtf32(text, index) : c;
        // U+FDD0..U+FDEF and the last two code points of every plane are non-characters.
        if (codePoint is >= 0xFDD0 and <= 0xFDEF || (codePoint & 0xFFFE) == 0xFFFE)
        {
            return true;
        }

        // A lone surrogate has the category Surrogate; a pair has the category of the code point it makes.
        return CharUnicodeInfo.GetUnicodeCategory(text, index) is UnicodeCategory.Control or UnicodeCategory.Format
            or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator or UnicodeCategory.Surrogate;
    }

    /// <summary>The wildcard address of a family, port 0.</summary>
    public static IPEndPoint Any(AddressFamily family) =>
        new(family == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
}
