// RFC 3986 §3.2.2: the IP literals of a URI host, as ASCII bytes, read into address bytes without allocating (the
// BCL's parsers return an IPAddress).
//
//   IPv4address = dec-octet "." dec-octet "." dec-octet "." dec-octet
//   IPv6address =                            6( h16 ":" ) ls32
//               /                       "::" 5( h16 ":" ) ls32
//               / ...                                             (at most one "::", standing for one or more zero groups)
//   h16         = 1*4HEXDIG
//   ls32        = ( h16 ":" h16 ) / IPv4address
//
// dec-octet has no leading zeros: "010.1.1.1" is not an IPv4 address here (some resolvers read it as octal 8.1.1.1,
// others as 10.1.1.1), so it stays a name for the resolver to decide.
using System;

namespace Socks5.Protocol.Wire;

internal static class IPLiteral
{
    /// <summary>Four decimal numbers from 0 to 255, 1 to 3 digits each, separated by dots, into 4 bytes.</summary>
    public static bool TryParseIPv4(ReadOnlySpan<byte> text, Span<byte> address)
    {
        int part = 0;
        int digits = 0;
        int value = 0;
        foreach (byte b in text)
        {
            if (b == '.')
            {
                if (digits == 0 || part == 3)
                {
                    return false;
                }

                address[part++] = (byte)value;
                digits = 0;
                value = 0;
            }
            else if (HttpSyntax.IsDigit(b) && digits < 3 && !(digits == 1 && value == 0))
            {
                value = (value * 10) + (b - '0');
                digits++;
                if (value > 255)
                {
                    return false;
                }
            }
            else
            {
                return false;
            }
        }

        if (part != 3 || digits == 0)
        {
            return false;
        }

        address[3] = (byte)value;
        return true;
    }

    /// <summary>An IPv6 address in the text form of RFC 4291 §2.2 (no zone), into 16 bytes.</summary>
    public static bool TryParseIPv6(ReadOnlySpan<byte> text, Span<byte> address)
    {
        Span<byte> groups = stackalloc byte[16];
        groups.Clear();
        int count = 0;       // bytes written to groups
        int gap = -1;        // where "::" stands, in bytes
        int i = 0;
        if (text.Length >= 2 && text[0] == ':' && text[1] == ':')
        {
            gap = 0;
            i = 2;
        }
        else if (text.Length > 0 && text[0] == ':')
        {
            return false;
        }

        while (i < text.Length)
        {
            if (count == 16)
            {
                return false;
            }

            // A dotted IPv4 address ends the text, in the last 4 bytes.
            int end = i;
            while (end < text.Length && text[end] != ':')
            {
                end++;
            }

            ReadOnlySpan<byte> piece = text.Slice(i, end - i);
            if (end == text.Length && piece.IndexOf((byte)'.') >= 0)
            {
                if (count > 12 || !TryParseIPv4(piece, groups.Slice(count, 4)))
                {
                    return false;
                }

                count += 4;
                break;
            }

            if (piece.Length is 0 or > 4)
            {
                return false;
            }

            int value = 0;
            foreach (byte b in piece)
            {
                if (!HttpSyntax.IsHexDigit(b))
                {
                    return false;
                }

                value = (value << 4) | HexValue(b);
            }

            groups[count++] = (byte)(value >> 8);
            groups[count++] = (byte)value;
            i = end;
            if (i == text.Length)
            {
                break;
            }

            // A colon: the next group follows, or a second colon makes the one "::".
            i++;
            if (i < text.Length && text[i] == ':')
            {
                if (gap >= 0)
                {
                    return false;
                }

                gap = count;
                i++;
            }
            else if (i == text.Length)
            {
                return false;
            }
        }

        if (gap < 0)
        {
            if (count != 16)
            {
                return false;
            }

            groups.CopyTo(address);
            return true;
        }

        // "::" stands for at least one zero group.
        if (count > 14)
        {
            return false;
        }

        address.Slice(0, 16).Clear();
        groups.Slice(0, gap).CopyTo(address);
        groups.Slice(gap, count - gap).CopyTo(address.Slice(16 - (count - gap)));
        return true;
    }

    private static int HexValue(byte b) => b <= '9' ? b - '0' : (b | 0x20) - 'a' + 10;
}
