using System;
using System.Diagnostics.CodeAnalysis;

namespace Socks5.Protocol.Internal;

/// <summary>
/// Cold paths, kept out of the callers so that the JIT can inline the hot ones
/// (the pattern of System.Text.Json's ThrowHelper).
/// </summary>
internal static class ThrowHelper
{
    [DoesNotReturn]
    public static void ThrowArgument(string message, string paramName) =>
        throw new ArgumentException(message, paramName);

    [DoesNotReturn]
    public static void ThrowArgumentOutOfRange(string paramName, string message) =>
        throw new ArgumentOutOfRangeException(paramName, message);

    [DoesNotReturn]
    public static void ThrowInvalidOperation(string message) =>
        throw new InvalidOperationException(message);

    [DoesNotReturn]
    public static void ThrowScratchTooSmall(int required) =>
        throw new ArgumentException($"The scratch buffer must hold at least {required} bytes.", "scratch");

    [DoesNotReturn]
    public static void ThrowBufferWriterTooSmall() =>
        throw new InvalidOperationException("The IBufferWriter<byte> returned a span smaller than the size it was asked for.");
}
