// RFC 1928 §3: the METHOD selection message, server to client.
//
//   +----+--------+
//   |VER | METHOD |
//   +----+--------+
//   | 1  |   1    |
//   +----+--------+
//
//   VER is X'05'. METHOD X'FF' means none of the offered methods is acceptable: the client must close.
using System;
using System.Buffers;
using Socks5.Protocol.Internal;

namespace Socks5.Protocol.Wire;

/// <summary>
/// The server's choice of authentication method (RFC 1928 §3).
/// </summary>
public readonly struct Socks5MethodSelection
{
    /// <summary>The length of the message: VER and METHOD.</summary>
    public const int Length = 2;

    /// <summary>Creates a method selection message.</summary>
    /// <param name="method">The chosen method, or <see cref="AuthenticationMethod.NoAcceptableMethods"/>.</param>
    public Socks5MethodSelection(AuthenticationMethod method) => Method = method;

    /// <summary>The chosen method; <see cref="AuthenticationMethod.NoAcceptableMethods"/> when none fits.</summary>
    public AuthenticationMethod Method { get; }

    /// <summary>Parses a method selection message from the start of <paramref name="source"/>.</summary>
    /// <param name="source">The bytes received.</param>
    /// <param name="selection">The message when <c>Done</c>.</param>
    /// <param name="bytesConsumed">2 when <c>Done</c>; otherwise 0.</param>
    /// <param name="error">Why, when <c>InvalidData</c>: <see cref="ParseError.UnsupportedVersion"/> (VER is not 5).</param>
    /// <returns><c>Done</c>, <c>NeedMoreData</c> or <c>InvalidData</c>. Only <c>Done</c> consumes anything.</returns>
    public static OperationStatus TryParse(ReadOnlySpan<byte> source, out Socks5MethodSelection selection, out int bytesConsumed, out ParseError error)
    {
        OperationStatus status = TwoByteMessage.TryParse(source, Socks5Constants.Version, out byte value, out bytesConsumed, out error);
        selection = new Socks5MethodSelection((AuthenticationMethod)value);
        return status;
    }

    /// <summary>Parses a method selection message from the start of <paramref name="source"/>.</summary>
    /// <param name="source">The bytes received.</param>
    /// <param name="selection">The message when <c>Done</c>.</param>
    /// <param name="bytesConsumed">2 when <c>Done</c>; otherwise 0.</param>
    /// <param name="error">Why, when <c>InvalidData</c> (see the span overload).</param>
    /// <returns>As the span overload.</returns>
    public static OperationStatus TryParse(in ReadOnlySequence<byte> source, out Socks5MethodSelection selection, out int bytesConsumed, out ParseError error) =>
        TryParse(SequenceHelper.GetSpan(source, stackalloc byte[Length], Length), out selection, out bytesConsumed, out error);

    /// <summary>Writes a method selection message.</summary>
    /// <param name="method">The chosen method, or <see cref="AuthenticationMethod.NoAcceptableMethods"/>.</param>
    /// <param name="destination">Where to write.</param>
    /// <param name="bytesWritten">2, or 0 when false.</param>
    /// <returns>False, with nothing written, when the destination is too small.</returns>
    public static bool TryWrite(AuthenticationMethod method, Span<byte> destination, out int bytesWritten)
        => TwoByteMessage.TryWrite(Socks5Constants.Version, (byte)method, destination, out bytesWritten);

    /// <summary>Writes a method selection message to <paramref name="writer"/>.</summary>
    /// <param name="writer">The writer.</param>
    /// <param name="method">The chosen method, or <see cref="AuthenticationMethod.NoAcceptableMethods"/>.</param>
    /// <returns>2.</returns>
    public static int Write(IBufferWriter<byte> writer, AuthenticationMethod method)
        => TwoByteMessage.Write(writer, Socks5Constants.Version, (byte)method);
}
