using System;
using System.Buffers;
using BenchmarkDotNet.Attributes;
using Socks5.Protocol.Benchmarks.Support;

namespace Socks5.Protocol.Benchmarks;

/// <summary>
/// The inputs every message's benchmarks share: the encoded message (written once by the writer under test),
/// the same bytes as a two-segment sequence, and the destinations the writers write to.
/// Each derived class benchmarks one message with the same four methods: Parse_Span, Parse_Sequence,
/// TryWrite and Write_BufferWriter.
/// </summary>
[MemoryDiagnoser]
public abstract class CodecBenchmarks
{
    protected byte[] Message { get; private set; } = null!;

    protected ReadOnlySequence<byte> Sequence { get; private set; }

    protected byte[] Destination { get; private set; } = null!;

    protected ArrayBufferWriter<byte> Writer { get; private set; } = null!;

    [GlobalSetup]
    public void Setup()
    {
        Prepare();
        Destination = new byte[MaxLength];
        int length = Encode(Destination);
        Message = Destination.AsSpan(0, length).ToArray();
        Sequence = Segments.SplitInTwo(Message);
        Writer = new ArrayBufferWriter<byte>(MaxLength);
    }

    /// <summary>The largest message of this kind: the size of the writers' destinations.</summary>
    protected abstract int MaxLength { get; }

    /// <summary>Sets up what <see cref="Encode"/> needs, before it runs.</summary>
    protected virtual void Prepare()
    {
    }

    /// <summary>Writes the message under test, for the parsers to read.</summary>
    protected abstract int Encode(Span<byte> destination);
}
