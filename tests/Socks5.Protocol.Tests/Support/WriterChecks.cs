using System;
using System.Buffers;
using System.Linq;
using Xunit;

namespace Socks5.Protocol.Tests.Support;

/// <summary>A message's TryWrite, with its fields bound.</summary>
public delegate bool TryWriter(Span<byte> destination, out int bytesWritten);

/// <summary>A message's IBufferWriter overload, with its fields bound.</summary>
public delegate int BufferWrite(IBufferWriter<byte> writer);

/// <summary>The writer contract, checked the same way for every message.</summary>
public static class WriterChecks
{
    private const byte Fill = 0xCC;

    /// <summary>
    /// TryWrite into an exact and a larger buffer, GetLength (when the message has one) and the IBufferWriter overload
    /// all give <paramref name="expected"/>; a buffer one byte short, or empty, gets false, 0 and no writes.
    /// </summary>
    public static void AssertWrites(byte[] expected, TryWriter tryWrite, BufferWrite write, int? getLength = null)
    {
        if (getLength is int length)
        {
            Assert.Equal(expected.Length, length);
        }

        byte[] exact = Filled(expected.Length);
        Assert.True(tryWrite(exact, out int written));
        Assert.Equal(expected.Length, written);
        Assert.Equal(Hex.Format(expected), Hex.Format(exact));

        byte[] larger = Filled(expected.Length + 8);
        Assert.True(tryWrite(larger, out written));
        Assert.Equal(expected.Length, written);
        Assert.Equal(Hex.Format(expected), Hex.Format(larger.AsSpan(0, written)));
        AssertUntouched(larger.AsSpan(written));

        foreach (int small in new[] { expected.Length - 1, 0 })
        {
            byte[] tooSmall = Filled(small);
            Assert.False(tryWrite(tooSmall, out written));
            Assert.Equal(0, written);
            AssertUntouched(tooSmall);
        }

        var writer = new ArrayBufferWriter<byte>();
        writer.Write(new byte[] { 0xAB });
        Assert.Equal(expected.Length, write(writer));
        Assert.Equal(Hex.Format(new byte[] { 0xAB }.Concat(expected).ToArray()), Hex.Format(writer.WrittenSpan));
    }

    /// <summary>Invalid fields: TryWrite, GetLength and the IBufferWriter overload all throw ArgumentException and write nothing.</summary>
    public static void AssertRejects(TryWriter tryWrite, BufferWrite write, Func<int>? getLength = null)
    {
        byte[] destination = Filled(1024);
        Assert.ThrowsAny<ArgumentException>(() => tryWrite(destination, out _));
        AssertUntouched(destination);

        var writer = new ArrayBufferWriter<byte>();
        Assert.ThrowsAny<ArgumentException>(() => write(writer));
        Assert.Equal(0, writer.WrittenCount);

        if (getLength is not null)
        {
            Assert.ThrowsAny<ArgumentException>(() => getLength());
        }
    }

    private static byte[] Filled(int length) => Enumerable.Repeat(Fill, length).ToArray();

    private static void AssertUntouched(ReadOnlySpan<byte> span)
    {
        for (int i = 0; i < span.Length; i++)
        {
            Assert.True(span[i] == Fill, $"byte {i} was written: {span[i]:X2}");
        }
    }
}
