using System;
using System.Buffers;
using System.Collections.Generic;

namespace Socks5.Protocol.Tests.Support;

/// <summary>Builds multi-segment <see cref="ReadOnlySequence{T}"/> values from pieces of a byte array.</summary>
public static class Segments
{
    /// <summary>A sequence with one segment per piece.</summary>
    public static ReadOnlySequence<byte> Create(params byte[][] pieces)
    {
        if (pieces.Length == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        var first = new Segment(pieces[0], 0);
        Segment last = first;
        for (int i = 1; i < pieces.Length; i++)
        {
            last = last.Append(pieces[i]);
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    /// <summary>Two segments, split at <paramref name="offset"/>.</summary>
    public static ReadOnlySequence<byte> SplitAt(byte[] bytes, int offset) =>
        Create(bytes.AsSpan(0, offset).ToArray(), bytes.AsSpan(offset).ToArray());

    /// <summary>One byte per segment.</summary>
    public static ReadOnlySequence<byte> OneBytePerSegment(byte[] bytes)
    {
        var pieces = new List<byte[]>();
        foreach (byte b in bytes)
        {
            pieces.Add(new[] { b });
        }

        return Create(pieces.ToArray());
    }

    /// <summary>Every way of cutting <paramref name="bytes"/> the tests use: whole, two segments at every offset, one byte per segment.</summary>
    public static IEnumerable<ReadOnlySequence<byte>> AllSplits(byte[] bytes)
    {
        yield return new ReadOnlySequence<byte>(bytes);
        for (int i = 0; i <= bytes.Length; i++)
        {
            yield return SplitAt(bytes, i);
        }

        if (bytes.Length > 0)
        {
            yield return OneBytePerSegment(bytes);
        }
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
