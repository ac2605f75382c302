using System;
using System.Buffers;

namespace Socks5.Protocol.Pipelines;

/// <summary>
/// Hands the start of a <see cref="ReadOnlySequence{T}"/> to an engine as one span: the first segment when it holds
/// everything, otherwise a pooled copy of at most one message's worth of bytes (the engines never need more to decide).
/// The engine may not see the whole buffer, so a caller offers the rest again whenever the engine consumed something.
/// </summary>
internal static class EngineInput
{
    public delegate TEvent Step<TEvent>(ReadOnlySpan<byte> input, bool isFinalBlock, out int bytesConsumed);

    /// <summary>Runs <paramref name="step"/>; the input is final only when the engine is shown all of it.</summary>
    public static TEvent Run<TEvent>(in ReadOnlySequence<byte> buffer, int maxMessageLength, bool isFinalBlock, Step<TEvent> step, out int bytesConsumed)
    {
        if (buffer.IsSingleSegment)
        {
            return step(buffer.First.Span, isFinalBlock, out bytesConsumed);
        }

        int length = (int)Math.Min(buffer.Length, Math.Max(maxMessageLength, buffer.First.Length));
        byte[] rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            buffer.Slice(0, length).CopyTo(rented);
            return step(rented.AsSpan(0, length), isFinalBlock && length == buffer.Length, out bytesConsumed);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
