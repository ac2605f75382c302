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

    /// <summary>One engine behind the read loop: its Process call and its current message bound.</summary>
    public interface IStep<TEvent>
    {
        int MaxMessageLength { get; }

        TEvent Process(ReadOnlySpan<byte> input, bool isFinalBlock, out int bytesConsumed);
    }

    /// <summary>Runs <paramref name="step"/>; the input is final only when the engine is shown all of it.</summary>
    public static TEvent Run<TEvent, TStep>(in ReadOnlySequence<byte> buffer, bool isFinalBlock, TStep step, out int bytesConsumed)
        where TStep : IStep<TEvent>
    {
        if (buffer.IsSingleSegment)
        {
            return step.Process(buffer.First.Span, isFinalBlock, out bytesConsumed);
        }

        int maxMessageLength = step.MaxMessageLength;

        int length = (int)Math.Min(buffer.Length, Math.Max(maxMessageLength, buffer.First.Length));
        byte[] rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            buffer.Slice(0, length).CopyTo(rented);
            return step.Process(rented.AsSpan(0, length), isFinalBlock && length == buffer.Length, out bytesConsumed);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>A step made of delegates, for the adapters that hold them.</summary>
    public readonly struct DelegateStep<TEvent> : IStep<TEvent>
    {
        private readonly Step<TEvent> _step;
        private readonly Func<int> _maxMessageLength;

        public DelegateStep(Step<TEvent> step, Func<int> maxMessageLength)
        {
            _step = step;
            _maxMessageLength = maxMessageLength;
        }

        public int MaxMessageLength => _maxMessageLength();

        public TEvent Process(ReadOnlySpan<byte> input, bool isFinalBlock, out int bytesConsumed) => _step(input, isFinalBlock, out bytesConsumed);
    }
}
