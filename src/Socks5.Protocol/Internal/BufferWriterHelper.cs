using System;
using System.Buffers;

namespace Socks5.Protocol.Internal;

/// <summary>Shared steps of the <see cref="IBufferWriter{T}"/> overloads: the writer is asked for exactly the message's length.</summary>
internal static class BufferWriterHelper
{
    public static Span<byte> GetSpan(IBufferWriter<byte> writer, int length)
    {
        if (writer is null)
        {
            throw new ArgumentNullException(nameof(writer));
        }

        return writer.GetSpan(length);
    }

    /// <summary>Commits <paramref name="written"/> bytes after a write that the caller sized with GetLength.</summary>
    public static int Commit(IBufferWriter<byte> writer, bool ok, int written)
    {
        if (!ok)
        {
            ThrowHelper.ThrowBufferWriterTooSmall();
        }

        writer.Advance(written);
        return written;
    }
}
