// RFC 1928 §3: the version identifier/method selection message, client to server.
//
//   +----+----------+----------+
//   |VER | NMETHODS | METHODS  |
//   +----+----------+----------+
//   | 1  |    1     | 1 to 255 |
//   +----+----------+----------+
//
//   VER is X'05'. NMETHODS is the number of method bytes that follow.
using System;
using System.Buffers;
using System.Runtime.InteropServices;
using Socks5.Protocol.Internal;

namespace Socks5.Protocol.Wire;

/// <summary>
/// The client's greeting: the authentication methods it offers (RFC 1928 §3).
/// </summary>
public readonly ref struct Socks5Greeting
{
    /// <summary>The largest greeting: VER, NMETHODS and 255 methods.</summary>
    public const int MaxLength = 2 + 255;

    private Socks5Greeting(ReadOnlySpan<byte> methods) => RawMethods = methods;

    /// <summary>The offered methods as raw bytes, in the client's order.</summary>
    public ReadOnlySpan<byte> RawMethods { get; }

    /// <summary>The offered methods, in the client's order. Values without a name keep their raw byte.</summary>
    public ReadOnlySpan<AuthenticationMethod> Methods => MemoryMarshal.Cast<byte, AuthenticationMethod>(RawMethods);

    /// <summary>Whether the client offers <paramref name="method"/>.</summary>
    /// <param name="method">The method to look for.</param>
    /// <returns>True when it is among the offered methods.</returns>
    public bool Offers(AuthenticationMethod method) => RawMethods.IndexOf((byte)method) >= 0;

    /// <summary>
    /// Parses a greeting from the start of <paramref name="source"/>.
    /// </summary>
    /// <param name="source">The bytes received.</param>
    /// <param name="greeting">The greeting, referring to <paramref name="source"/>, when the result is <c>Done</c>.</param>
    /// <param name="bytesConsumed">The greeting's length when <c>Done</c>; otherwise 0.</param>
    /// <param name="error">
    /// Why, when <c>InvalidData</c>: <see cref="ParseError.UnsupportedVersion"/> (VER is not 5) or
    /// <see cref="ParseError.NoMethods"/> (NMETHODS is 0). Both are known from the first two bytes.
    /// </param>
    /// <returns>
    /// <c>Done</c>; <c>NeedMoreData</c> when <paramref name="source"/> is a strict prefix of a greeting;
    /// <c>InvalidData</c>. Only <c>Done</c> consumes anything.
    /// </returns>
    public static OperationStatus TryParse(ReadOnlySpan<byte> source, out Socks5Greeting greeting, out int bytesConsumed, out ParseError error)
    {
        greeting = default;
        bytesConsumed = 0;
        error = ParseError.None;
        if (source.IsEmpty)
        {
            return OperationStatus.NeedMoreData;
        }

        if (source[0] != Socks5Constants.Version)
        {
            error = ParseError.UnsupportedVersion;
            return OperationStatus.InvalidData;
        }

        if (source.Length < 2)
        {
            return OperationStatus.NeedMoreData;
        }

        int count = source[1];
        if (count == 0)
        {
            error = ParseError.NoMethods;
            return OperationStatus.InvalidData;
        }

        if (source.Length < 2 + count)
        {
            return OperationStatus.NeedMoreData;
        }

        greeting = new Socks5Greeting(source.Slice(2, count));
        bytesConsumed = 2 + count;
        return OperationStatus.Done;
    }

    /// <summary>
    /// Parses a greeting from the start of <paramref name="source"/>. When the greeting crosses segments it is
    /// copied into <paramref name="scratch"/> and the result refers to that copy.
    /// </summary>
    /// <param name="source">The bytes received.</param>
    /// <param name="scratch">At least <see cref="MaxLength"/> bytes, used only when the greeting crosses segments.</param>
    /// <param name="greeting">The greeting when <c>Done</c>.</param>
    /// <param name="bytesConsumed">The greeting's length when <c>Done</c>; otherwise 0.</param>
    /// <param name="error">Why, when <c>InvalidData</c> (see the span overload).</param>
    /// <returns>As the span overload.</returns>
    /// <exception cref="ArgumentException"><paramref name="scratch"/> is smaller than <see cref="MaxLength"/> and was needed.</exception>
    public static OperationStatus TryParse(in ReadOnlySequence<byte> source, Span<byte> scratch, out Socks5Greeting greeting, out int bytesConsumed, out ParseError error) =>
        TryParse(SequenceHelper.GetSpan(source, scratch, MaxLength), out greeting, out bytesConsumed, out error);

    /// <summary>The length of a greeting offering <paramref name="methods"/>.</summary>
    /// <param name="methods">1 to 255 methods.</param>
    /// <returns>2 plus the number of methods.</returns>
    /// <exception cref="ArgumentException">There are 0 or more than 255 methods.</exception>
    public static int GetLength(ReadOnlySpan<AuthenticationMethod> methods)
    {
        if (methods.Length is 0 or > 255)
        {
            ThrowHelper.ThrowArgument($"A greeting offers 1 to 255 methods, not {methods.Length}.", nameof(methods));
        }

        return 2 + methods.Length;
    }

    /// <summary>Writes a greeting offering <paramref name="methods"/>, in that order.</summary>
    /// <param name="methods">1 to 255 methods.</param>
    /// <param name="destination">Where to write.</param>
    /// <param name="bytesWritten">The bytes written; 0 when false.</param>
    /// <returns>False, with nothing written, when the destination is too small.</returns>
    /// <exception cref="ArgumentException">There are 0 or more than 255 methods (nothing is written).</exception>
    public static bool TryWrite(ReadOnlySpan<AuthenticationMethod> methods, Span<byte> destination, out int bytesWritten)
    {
        int length = GetLength(methods);
        if (destination.Length < length)
        {
            bytesWritten = 0;
            return false;
        }

        destination[0] = Socks5Constants.Version;
        destination[1] = (byte)methods.Length;
        MemoryMarshal.Cast<AuthenticationMethod, byte>(methods).CopyTo(destination.Slice(2));
        bytesWritten = length;
        return true;
    }

    /// <summary>Writes a greeting offering <paramref name="methods"/> to <paramref name="writer"/>.</summary>
    /// <param name="writer">The writer.</param>
    /// <param name="methods">1 to 255 methods.</param>
    /// <returns>The bytes written.</returns>
    /// <exception cref="ArgumentException">There are 0 or more than 255 methods (nothing is written).</exception>
    public static int Write(IBufferWriter<byte> writer, ReadOnlySpan<AuthenticationMethod> methods)
    {
        int length = GetLength(methods);
        bool ok = TryWrite(methods, BufferWriterHelper.GetSpan(writer, length), out int written);
        return BufferWriterHelper.Commit(writer, ok, written);
    }
}
