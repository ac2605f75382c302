// RFC 1929 §2: the username/password request, client to server.
//
//   +----+------+----------+------+----------+
//   |VER | ULEN |  UNAME   | PLEN |  PASSWD  |
//   +----+------+----------+------+----------+
//   | 1  |  1   | 1 to 255 |  1   | 1 to 255 |
//   +----+------+----------+------+----------+
//
//   VER is X'01', the version of the sub-negotiation (not 5: a well-known bug of some clients).
using System;
using System.Buffers;
using Socks5.Protocol.Internal;

namespace Socks5.Protocol.Wire;

/// <summary>
/// An RFC 1929 username/password request. The user name and password stay bytes: RFC 1929 gives them no encoding.
/// </summary>
public readonly ref struct UsernamePasswordRequest
{
    /// <summary>VER of the RFC 1929 sub-negotiation.</summary>
    public const byte Version = 1;

    /// <summary>The largest request: VER, ULEN, 255 bytes, PLEN, 255 bytes.</summary>
    public const int MaxLength = 3 + 255 + 255;

    private UsernamePasswordRequest(ReadOnlySpan<byte> userName, ReadOnlySpan<byte> password)
    {
        UserName = userName;
        Password = password;
    }

    /// <summary>UNAME: 1 to 255 bytes.</summary>
    public ReadOnlySpan<byte> UserName { get; }

    /// <summary>PASSWD: 1 to 255 bytes.</summary>
    public ReadOnlySpan<byte> Password { get; }

    /// <summary>Parses a request from the start of <paramref name="source"/>.</summary>
    /// <param name="source">The bytes received.</param>
    /// <param name="request">The request, referring to <paramref name="source"/>, when <c>Done</c>.</param>
    /// <param name="bytesConsumed">The request's length when <c>Done</c>; otherwise 0.</param>
    /// <param name="error">
    /// Why, when <c>InvalidData</c>: <see cref="ParseError.UnsupportedVersion"/> (VER is not 1),
    /// <see cref="ParseError.EmptyUserName"/> (ULEN is 0) or <see cref="ParseError.EmptyPassword"/> (PLEN is 0),
    /// each reported as soon as the byte is read.
    /// </param>
    /// <returns><c>Done</c>, <c>NeedMoreData</c> or <c>InvalidData</c>. Only <c>Done</c> consumes anything.</returns>
    public static OperationStatus TryParse(ReadOnlySpan<byte> source, out UsernamePasswordRequest request, out int bytesConsumed, out ParseError error)
    {
        request = default;
        bytesConsumed = 0;
        error = ParseError.None;
        if (source.IsEmpty)
        {
            return OperationStatus.NeedMoreData;
        }

        if (source[0] != Version)
        {
            error = ParseError.UnsupportedVersion;
            return OperationStatus.InvalidData;
        }

        if (source.Length < 2)
        {
            return OperationStatus.NeedMoreData;
        }

        int userLength = source[1];
        if (userLength == 0)
        {
            error = ParseError.EmptyUserName;
            return OperationStatus.InvalidData;
        }

        int passwordLengthOffset = 2 + userLength;
        if (source.Length <= passwordLengthOffset)
        {
            return OperationStatus.NeedMoreData;
        }

        int passwordLength = source[passwordLengthOffset];
        if (passwordLength == 0)
        {
            error = ParseError.EmptyPassword;
            return OperationStatus.InvalidData;
        }

        int total = passwordLengthOffset + 1 + passwordLength;
        if (source.Length < total)
        {
            return OperationStatus.NeedMoreData;
        }

        request = new UsernamePasswordRequest(source.Slice(2, userLength), source.Slice(passwordLengthOffset + 1, passwordLength));
        bytesConsumed = total;
        return OperationStatus.Done;
    }

    /// <summary>
    /// Parses a request from the start of <paramref name="source"/>, copying it into <paramref name="scratch"/> when it crosses segments.
    /// </summary>
    /// <param name="source">The bytes received.</param>
    /// <param name="scratch">At least <see cref="MaxLength"/> bytes, used only when the request crosses segments.</param>
    /// <param name="request">The request when <c>Done</c>.</param>
    /// <param name="bytesConsumed">The request's length when <c>Done</c>; otherwise 0.</param>
    /// <param name="error">Why, when <c>InvalidData</c> (see the span overload).</param>
    /// <returns>As the span overload.</returns>
    /// <exception cref="ArgumentException"><paramref name="scratch"/> is smaller than <see cref="MaxLength"/> and was needed.</exception>
    public static OperationStatus TryParse(in ReadOnlySequence<byte> source, Span<byte> scratch, out UsernamePasswordRequest request, out int bytesConsumed, out ParseError error) =>
        TryParse(SequenceHelper.GetSpan(source, scratch, MaxLength), out request, out bytesConsumed, out error);

    /// <summary>The length of a request with this user name and password.</summary>
    /// <param name="userName">1 to 255 bytes.</param>
    /// <param name="password">1 to 255 bytes.</param>
    /// <returns>3 plus both lengths.</returns>
    /// <exception cref="ArgumentException">A field is empty or longer than 255 bytes.</exception>
    public static int GetLength(ReadOnlySpan<byte> userName, ReadOnlySpan<byte> password)
    {
        if (userName.Length is 0 or > 255)
        {
            ThrowHelper.ThrowArgument($"An RFC 1929 user name has 1 to 255 bytes, not {userName.Length}.", nameof(userName));
        }

        if (password.Length is 0 or > 255)
        {
            ThrowHelper.ThrowArgument($"An RFC 1929 password has 1 to 255 bytes, not {password.Length}.", nameof(password));
        }

        return 3 + userName.Length + password.Length;
    }

    /// <summary>Writes a request.</summary>
    /// <param name="userName">1 to 255 bytes.</param>
    /// <param name="password">1 to 255 bytes.</param>
    /// <param name="destination">Where to write.</param>
    /// <param name="bytesWritten">The bytes written; 0 when false.</param>
    /// <returns>False, with nothing written, when the destination is too small.</returns>
    /// <exception cref="ArgumentException">A field is empty or longer than 255 bytes (nothing is written).</exception>
    public static bool TryWrite(ReadOnlySpan<byte> userName, ReadOnlySpan<byte> password, Span<byte> destination, out int bytesWritten)
    {
        int length = GetLength(userName, password);
        if (destination.Length < length)
        {
            bytesWritten = 0;
            return false;
        }

        destination[0] = Version;
        destination[1] = (byte)userName.Length;
        userName.CopyTo(destination.Slice(2));
        destination[2 + userName.Length] = (byte)password.Length;
        password.CopyTo(destination.Slice(3 + userName.Length));
        bytesWritten = length;
        return true;
    }

    /// <summary>Writes a request to <paramref name="writer"/>.</summary>
    /// <param name="writer">The writer.</param>
    /// <param name="userName">1 to 255 bytes.</param>
    /// <param name="password">1 to 255 bytes.</param>
    /// <returns>The bytes written.</returns>
    /// <exception cref="ArgumentException">A field is empty or longer than 255 bytes (nothing is written).</exception>
    public static int Write(IBufferWriter<byte> writer, ReadOnlySpan<byte> userName, ReadOnlySpan<byte> password)
    {
        int length = GetLength(userName, password);
        bool ok = TryWrite(userName, password, BufferWriterHelper.GetSpan(writer, length), out int written);
        return BufferWriterHelper.Commit(writer, ok, written);
    }
}
