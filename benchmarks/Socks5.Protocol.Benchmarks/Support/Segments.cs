using System;
using System.Buffers;

namespace Socks5.Protocol.Benchmarks.Support;

/// <summary>Builds multi-segment sequences, as a PipeReader hands them over when a message crosses buffers.</summary>
public static class Segments
{
    /// <summary>
    /// <paramref name="message"/> cut into two segments in the middle, so that the parser must leave its
    /// single-segment fast path and copy the message into its scratch buffer.
    /// </summary>
    public static ReadOnlySequence<byte> SplitInTwo(byte[] message)
    {
        int cut = message.Length / 2;
        var first = new Segment(message.AsMemory(0, cut));
        Segment last = first.Append(message.AsMemory(cut));
        var sequence = new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
        if (sequence.IsSingleSegment)
        {
            throw new InvalidOperationException("A benchmark of the multi-segment path needs a message of at least two bytes.");
        }

        return sequence;
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory) => Memory = memory;

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory) { RunningIndex = RunningIndex + Memory.Length };
            Next = next;
            return next;
        }
    }
}
