// RFC 1929 §2: the server's answer to a username/password request.
//
//   +----+--------+
//   |VER | STATUS |
//   +----+--------+
//   | 1  |   1    |
//   +----+--------+
//
//   VER is X'01'. STATUS X'00' is success; any other value is a failure, after which the server
//   must close the connection. Servers in the wild send 1, 2 or X'FF' for a wrong password.
using System;
using System.Buffers;
using Socks5.Protocol.Internal;

namespace Socks5.Protocol.Wire;

/// <summary>
/// The RFC 1929 status reply. <see cref="Status"/> is kept raw: 0 is success, anything else a failure.
/// </summary>
public readonly struct UsernamePasswordReply
{
    /// <summary>The length of the reply: VER and STATUS.</summary>
    public const int Length = 2;

    /// <summary>The STATUS of success.</summary>
    public const byte Success = 0;

    /// <summary>The STATUS this library sends for a failure.</summary>
    public const byte Failure = 1;

    /// <summary>Creates a reply.</summary>
    /// <param name="status">0 for success, anything else for failure.</param>
    public UsernamePasswordReply(byte status) => Status = status;

    /// <summary>STATUS, as sent.</summary>
    public byte Status { get; }

    /// <summary>True when <see cref="Status"/> is 0.</summary>
    public bool Succeeded => Status == Success;

    /// <summary>Parses a reply from the start of <paramref name="source"/>.</summary>
    /// <param name="source">The bytes received.</param>
    /// <param name="reply">The reply when <c>Done</c>.</param>
    /// <param name="bytesConsumed">2 when <c>Done</c>; otherwise 0.</param>
    /// <param name="error">Why, when <c>InvalidData</c>: <see cref="ParseError.UnsupportedVersion"/> (VER is not 1).</param>
    /// <returns><c>Done</c>, <c>NeedMoreData</c> or <c>InvalidData</c>. Only <c>Done</c> consumes anything.</returns>
    public static OperationStatus TryParse(ReadOnlySpan<byte> source, out UsernamePasswordReply reply, out int bytesConsumed, out ParseError error)
    {
        OperationStatus status = TwoByteMessage.TryParse(source, UsernamePasswordRequest.Version, out byte value, out bytesConsumed, out error);
        reply = new UsernamePasswordReply(value);
        return status;
    }

    /// <summary>Parses a reply from the start of <paramref name="source"/>.</summary>
    /// <param name="source">The bytes received.</param>
    /// <param name="reply">The reply when <c>Done</c>.</param>
    /// <param name="bytesConsumed">2 when <c>Done</c>; otherwise 0.</param>
    /// <param name="error">Why, when <c>InvalidData</c> (see the span overload).</param>
    /// <returns>As the span overload.</returns>
    public static OperationStatus TryParse(in ReadOnlySequence<byte> source, out UsernamePasswordReply reply, out int bytesConsumed, out ParseError error) =>
        TryParse(SequenceHelper.GetSpan(source, stackalloc byte[Length], Length), out reply, out bytesConsumed, out error);

    /// <summary>Writes a reply.</summary>
    /// <param name="status">0 for success, anything else for failure.</param>
    /// <param name="destination">Where to write.</param>
    /// <param name="bytesWritten">2, or 0 when false.</param>
    /// <returns>False, with nothing written, when the destination is too small.</returns>
    public static bool TryWrite(byte status, Span<byte> destination, out int bytesWritten)
        => TwoByteMessage.TryWrite(UsernamePasswordRequest.Version, status, destination, out bytesWritten);

    /// <summary>Writes a reply to <paramref name="writer"/>.</summary>
    /// <param name="writer">The writer.</param>
    /// <param name="status">0 for success, anything else for failure.</param>
    /// <returns>2.</returns>
    public static int Write(IBufferWriter<byte> writer, byte status)
        => TwoByteMessage.Write(writer, UsernamePasswordRequest.Version, status);
}
