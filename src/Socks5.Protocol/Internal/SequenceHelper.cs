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
        SequencePosition position = source.Start;
        source.TryGet(ref position, out ReadOnlyMemory<byte> firstSegment);
        ReadOnlySpan<byte> first = firstSegment.Span;
        if (source.IsSingleSegment || first.Length >= maxMessageLength)
        {
            return first;
        }

        if (scratch.Length < maxMessageLength)
        {
            ThrowHelper.ThrowScratchTooSmall(maxMessageLength);
        }

        // Segment by segment, going on from the first, rather than source.Slice(0, length).CopyTo(scratch):
        // that slice seeks through the segments again to find its end, and cost more than the parse itself.
        int length = (int)Math.Min(source.Length, maxMessageLength);
        first.CopyTo(scratch);
        int copied = first.Length;
        while (copied < length && source.TryGet(ref position, out ReadOnlyMemory<byte> segment))
        {
            ReadOnlySpan<byte> span = segment.Span;
            int count = Math.Min(span.Length, length - copied);
            span.Slice(0, count).CopyTo(scratch.Slice(copied));
            copied += count;
        }

        return scratch.Slice(0, length);
    }
}
