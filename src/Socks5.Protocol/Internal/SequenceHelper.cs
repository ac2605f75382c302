using System;
using System.Buffers;

namespace Socks5.Protocol.Internal;

/// <summary>
/// Turns the start of a <see cref="ReadOnlySequence{T}"/> into one span, as Kestrel's HttpParser does:
/// the span fast path when the bytes are in one segment, otherwise a copy of at most one message's worth of
/// bytes into a buffer the caller owns (usually <c>stackalloc</c>).
/// </summary>
internal static class SequenceHelper
{
    public static ReadOnlySpan<byte> GetSpan(in ReadOnlySequence<byte> source, Span<byte> scratch, int maxMessageLength)
    {
        ReadOnlySpan<byte> first = source.First.Span;
        if (source.IsSingleSegment || first.Length >= maxMessageLength)
        {
            return first;
        }

        if (scratch.Length < maxMessageLength)
        {
            ThrowHelper.ThrowScratchTooSmall(maxMessageLength);
        }

        int length = (int)Math.Min(source.Length, maxMessageLength);
        source.Slice(0, length).CopyTo(scratch);
        return scratch.Slice(0, length);
    }
}
