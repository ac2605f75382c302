// The character classes of HTTP/1.1 that the CONNECT parser and writers share (RFC 9110 §5.6.2, §5.5; RFC 9112 §3;
// RFC 3986 §3.2.2).
//
//   tchar       = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
//   field-vchar = VCHAR / obs-text            (VCHAR %x21-7E, obs-text %x80-FF; SP and HTAB inside a value)
//   reg-name    = *( unreserved / pct-encoded / sub-delims )
//   unreserved  = ALPHA / DIGIT / "-" / "." / "_" / "~"
//   sub-delims  = "!" / "$" / "&" / "'" / "(" / ")" / "*" / "+" / "," / ";" / "="
using System;

namespace Socks5.Protocol.Wire;

internal static class HttpSyntax
{
    public static bool IsTokenChar(byte b) =>
        IsAlphaNumeric(b) || b is (byte)'!' or (byte)'#' or (byte)'$' or (byte)'%' or (byte)'&' or (byte)'\'' or (byte)'*'
            or (byte)'+' or (byte)'-' or (byte)'.' or (byte)'^' or (byte)'_' or (byte)'`' or (byte)'|' or (byte)'~';

    /// <summary>A byte of a field value: visible ASCII, obs-text, SP or HTAB (never CR, LF, NUL or another control).</summary>
    public static bool IsFieldValueChar(byte b) => b is (>= 0x20 and not 0x7F) or (byte)'\t';

    /// <summary>A byte of a request-target: visible ASCII (the URI characters are a subset; whitespace ends the target).</summary>
    public static bool IsVisibleAscii(byte b) => b is >= 0x21 and <= 0x7E;

    public static bool IsRegNameChar(byte b) =>
        IsAlphaNumeric(b) || b is (byte)'-' or (byte)'.' or (byte)'_' or (byte)'~' or (byte)'!' or (byte)'$' or (byte)'&'
            or (byte)'\'' or (byte)'(' or (byte)')' or (byte)'*' or (byte)'+' or (byte)',' or (byte)';' or (byte)'=';

    public static bool IsDigit(byte b) => b is >= (byte)'0' and <= (byte)'9';

    public static bool IsHexDigit(byte b) => IsDigit(b) || b is (>= (byte)'a' and <= (byte)'f') or (>= (byte)'A' and <= (byte)'F');

    public static bool IsWhitespace(byte b) => b is (byte)' ' or (byte)'\t';

    /// <summary>The value without the optional whitespace (OWS) around it.</summary>
    public static ReadOnlySpan<byte> TrimWhitespace(ReadOnlySpan<byte> value)
    {
        int start = 0;
        int end = value.Length;
        while (start < end && IsWhitespace(value[start]))
        {
            start++;
        }

        while (end > start && IsWhitespace(value[end - 1]))
        {
            end--;
        }

        return value.Slice(start, end - start);
    }

    /// <summary>Case-insensitive comparison of ASCII text (field names and auth schemes are case-insensitive).</summary>
    public static bool EqualsIgnoreCase(ReadOnlySpan<byte> text, ReadOnlySpan<byte> lowerCase)
    {
        if (text.Length != lowerCase.Length)
        {
            return false;
        }

        for (int i = 0; i < text.Length; i++)
        {
            byte b = text[i];
            if (b is >= (byte)'A' and <= (byte)'Z')
            {
                b = (byte)(b | 0x20);
            }

            if (b != lowerCase[i])
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsAlphaNumeric(byte b) => b is (>= (byte)'a' and <= (byte)'z') or (>= (byte)'A' and <= (byte)'Z') or (>= (byte)'0' and <= (byte)'9');
}
