using System;
using System.Buffers;
using System.Linq;
using Socks5.Protocol.Wire;
using Xunit;

namespace Socks5.Protocol.Tests.Support;

/// <summary>The "every split" rule: one input, cut every way, followed by guard bytes, gives one result.</summary>
public static class SplitChecks
{
    /// <summary>Bytes after the message that a parser must never consume.</summary>
    public static readonly byte[] Guard = { 0xEE, 0xEE, 0xEE };

    /// <summary>
    /// Parses <paramref name="input"/> followed by <see cref="Guard"/> as a span and as every split sequence, and
    /// asserts that each result is <paramref name="expected"/>.
    /// </summary>
    public static void AssertSameForEverySplit(WireParser parser, byte[] input, ParseOutcome expected)
    {
        byte[] guarded = input.Concat(Guard).ToArray();
        Assert.Equal(expected, parser.Parse(guarded));
        int index = 0;
        foreach (ReadOnlySequence<byte> sequence in Segments.AllSplits(guarded))
        {
            ParseOutcome actual = parser.Parse(sequence);
            Assert.True(expected == actual, $"{parser} split #{index} of {Hex.Format(guarded)}: expected {expected}, got {actual}");
            index++;
        }
    }

    /// <summary>A truncated message (no guard bytes: they would complete it): NeedMoreData for the span and every split.</summary>
    public static void AssertNeedsMoreDataForEverySplit(WireParser parser, byte[] truncated)
    {
        Assert.Equal(ParseOutcome.NeedMoreData, parser.Parse(truncated));
        foreach (ReadOnlySequence<byte> sequence in Segments.AllSplits(truncated))
        {
            Assert.Equal(ParseOutcome.NeedMoreData, parser.Parse(sequence));
        }
    }

    /// <summary>
    /// A complete message: Done, consuming exactly its bytes (never the guard), with the fields a span parse of
    /// the bare message gives, for every split.
    /// </summary>
    public static ParseOutcome AssertMessageForEverySplit(WireParser parser, byte[] message)
    {
        ParseOutcome bare = parser.Parse(message);
        Assert.Equal(OperationStatus.Done, bare.Status);
        Assert.Equal(message.Length, bare.Consumed);
        Assert.Equal(ParseError.None, bare.Error);
        AssertSameForEverySplit(parser, message, bare);
        return bare;
    }

    /// <summary>The rules every outcome follows, whatever the input.</summary>
    public static void AssertConsistent(ParseOutcome outcome, int inputLength)
    {
        switch (outcome.Status)
        {
            case OperationStatus.Done:
                Assert.InRange(outcome.Consumed, 1, inputLength);
                Assert.Equal(ParseError.None, outcome.Error);
                break;
            case OperationStatus.NeedMoreData:
                Assert.Equal(0, outcome.Consumed);
                Assert.Equal(ParseError.None, outcome.Error);
                break;
            case OperationStatus.InvalidData:
                Assert.Equal(0, outcome.Consumed);
                Assert.NotEqual(ParseError.None, outcome.Error);
                break;
            default:
                throw new InvalidOperationException($"A parser returned {outcome.Status}.");
        }
    }

    /// <summary>Every strict prefix of a complete message needs more data and consumes nothing, span and sequence.</summary>
    public static void AssertEveryStrictPrefixNeedsMoreData(WireParser parser, byte[] message)
    {
        for (int length = 0; length < message.Length; length++)
        {
            byte[] prefix = message.AsSpan(0, length).ToArray();
            Assert.Equal(ParseOutcome.NeedMoreData, parser.Parse(prefix));
            Assert.Equal(ParseOutcome.NeedMoreData, parser.Parse(Segments.OneBytePerSegment(prefix)));
        }
    }

    /// <summary>
    /// The round-trip property's checks on bytes a writer produced: parsed with <paramref name="trailing"/> after it,
    /// as a span, split in two at <paramref name="splitSeed"/> and one byte per segment, it gives the same result as
    /// the bare message, consuming exactly the message; every strict prefix needs more data.
    /// </summary>
    public static ParseOutcome AssertParsesBack(WireParser parser, byte[] written, byte[]? trailing, int splitSeed)
    {
        ParseOutcome bare = parser.Parse(written);
        Assert.Equal(OperationStatus.Done, bare.Status);
        Assert.Equal(written.Length, bare.Consumed);
        byte[] followed = written.Concat(trailing ?? Array.Empty<byte>()).ToArray();
        Assert.Equal(bare, parser.Parse(followed));
        Assert.Equal(bare, parser.Parse(Segments.SplitAt(followed, (int)((uint)splitSeed % (uint)(followed.Length + 1)))));
        Assert.Equal(bare, parser.Parse(Segments.OneBytePerSegment(followed)));
        AssertEveryStrictPrefixNeedsMoreData(parser, written);
        return bare;
    }
}
