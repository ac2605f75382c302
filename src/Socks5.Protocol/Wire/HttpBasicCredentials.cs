// RFC 7617 §2 and RFC 9110 §11: the Basic credentials of a Proxy-Authorization field.
//
//   credentials = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
//   token68     = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
//
//   Proxy-Authorization: Basic dXNlcjpwYXNz          base64 (RFC 4648 §4, padded) of  user-id ":" password
//
//   The scheme is case-insensitive. The user-id cannot contain a colon: the first colon ends it. RFC 7617 gives no
//   encoding unless the server asks for UTF-8, so both stay bytes.
using System;
using System.Buffers;
using System.Buffers.Text;

namespace Socks5.Protocol.Wire;

/// <summary>Encodes and decodes the Basic credentials of a Proxy-Authorization value, allocating nothing.</summary>
public static class HttpBasicCredentials
{
    /// <summary>
    /// Decodes <c>Basic &lt;base64 of user:password&gt;</c> into <paramref name="buffer"/>.
    /// </summary>
    /// <param name="proxyAuthorization">The field value, e.g. <see cref="HttpConnectRequest.ProxyAuthorization"/>.</param>
    /// <param name="buffer">Where the decoded <c>user:password</c> goes: three quarters of the base64 text is enough.</param>
    /// <param name="userName">The user-id, referring to <paramref name="buffer"/>, when <c>Done</c>.</param>
    /// <param name="password">The password, referring to <paramref name="buffer"/>, when <c>Done</c>.</param>
    /// <returns>
    /// <c>Done</c>; <c>DestinationTooSmall</c> when the buffer cannot hold the decoded text; <c>InvalidData</c> when the
    /// scheme is not Basic, the base64 is malformed or unpadded, or the decoded text has no colon.
    /// </returns>
    public static OperationStatus TryDecode(ReadOnlySpan<byte> proxyAuthorization, Span<byte> buffer, out ReadOnlySpan<byte> userName, out ReadOnlySpan<byte> password)
    {
        userName = default;
        password = default;
        ReadOnlySpan<byte> value = HttpSyntax.TrimWhitespace(proxyAuthorization);
        int space = value.IndexOf((byte)' ');
        if (space < 0 || !HttpSyntax.EqualsIgnoreCase(value.Slice(0, space), "basic"u8))
        {
            return OperationStatus.InvalidData;
        }

        ReadOnlySpan<byte> encoded = value.Slice(space + 1);
        while (!encoded.IsEmpty && encoded[0] == ' ')
        {
            encoded = encoded.Slice(1);
        }

        // Base64.DecodeFromUtf8 skips whitespace inside the text on .NET; a token68 has none, so refuse it first.
        if (encoded.IsEmpty || encoded.Length % 4 != 0 || encoded.IndexOfAny((byte)' ', (byte)'\t') >= 0)
        {
            return OperationStatus.InvalidData;
        }

        if (buffer.Length < Base64.GetMaxDecodedFromUtf8Length(encoded.Length))
        {
            return OperationStatus.DestinationTooSmall;
        }

        if (Base64.DecodeFromUtf8(encoded, buffer, out _, out int decoded) != OperationStatus.Done)
        {
            return OperationStatus.InvalidData;
        }

        ReadOnlySpan<byte> text = buffer.Slice(0, decoded);
        int colon = text.IndexOf((byte)':');
        if (colon < 0)
        {
            return OperationStatus.InvalidData;
        }

        userName = text.Slice(0, colon);
        password = text.Slice(colon + 1);
        return OperationStatus.Done;
    }

    /// <summary>The length of <c>Basic &lt;base64 of user:password&gt;</c> for these credentials.</summary>
    /// <param name="userName">The user-id: bytes without a colon.</param>
    /// <param name="password">The password: any bytes.</param>
    /// <returns>The value's length.</returns>
    /// <exception cref="ArgumentException">The user-id contains a colon (the first colon ends it).</exception>
    public static int GetEncodedLength(ReadOnlySpan<byte> userName, ReadOnlySpan<byte> password)
    {
        if (userName.IndexOf((byte)':') >= 0)
        {
            throw new ArgumentException("A Basic user-id cannot contain a colon (RFC 7617 §2).", nameof(userName));
        }

        return Scheme.Length + Base64.GetMaxEncodedToUtf8Length(userName.Length + 1 + password.Length);
    }

    /// <summary>Writes <c>Basic &lt;base64 of user:password&gt;</c>, the value of a Proxy-Authorization field.</summary>
    /// <param name="userName">The user-id: bytes without a colon.</param>
    /// <param name="password">The password: any bytes.</param>
    /// <param name="destination">Where to write.</param>
    /// <param name="bytesWritten">The bytes written; 0 when false.</param>
    /// <returns>False, with nothing written, when the destination is too small.</returns>
    /// <exception cref="ArgumentException">The user-id contains a colon (nothing is written).</exception>
    public static bool TryEncode(ReadOnlySpan<byte> userName, ReadOnlySpan<byte> password, Span<byte> destination, out int bytesWritten)
    {
        int length = GetEncodedLength(userName, password);
        bytesWritten = 0;
        if (destination.Length < length)
        {
            return false;
        }

        // user:password goes at the end of the destination, then is encoded in place towards the front.
        Span<byte> encoded = destination.Slice(Scheme.Length, length - Scheme.Length);
        int plainLength = userName.Length + 1 + password.Length;
        Span<byte> plain = encoded.Slice(encoded.Length - plainLength);
        userName.CopyTo(plain);
        plain[userName.Length] = (byte)':';
        password.CopyTo(plain.Slice(userName.Length + 1));
        plain.CopyTo(encoded);
        Base64.EncodeToUtf8InPlace(encoded, plainLength, out _);
        Scheme.CopyTo(destination);
        bytesWritten = length;
        return true;
    }

    private static ReadOnlySpan<byte> Scheme => "Basic "u8;
}
