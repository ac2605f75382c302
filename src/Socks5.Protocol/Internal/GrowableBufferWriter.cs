using System;
using System.Buffers;

namespace Socks5.Protocol.Internal;

/// <summary>
/// A minimal array-backed <see cref="IBufferWriter{T}"/> (ArrayBufferWriter is not in netstandard2.0), for the few places
/// that must see a token before framing it.
/// </summary>
internal sealed class GrowableBufferWriter : IBufferWriter<byte>
{
    private byte[] _buffer;
    private int _written;

    public GrowableBufferWriter(int initialCapacity = 256) => _buffer = new byte[initialCapacity];

    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _written);

    public void Clear() => _written = 0;

    public void Advance(int count)
    {
        if ((uint)count > (uint)(_buffer.Length - _written))
        {
            throw new ArgumentOutOfRangeException(nameof(count));
        }

        _written += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(_written);
    }

    private void Ensure(int sizeHint)
    {
        int needed = _written + Math.Max(sizeHint, 1);
        if (needed > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(needed, _buffer.Length * 2));
        }
    }
}
