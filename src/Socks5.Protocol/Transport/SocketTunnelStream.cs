#if NET
using System;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;

namespace Socks5.Protocol.Transport;

/// <summary>
/// A tunnel's stream (the client's Socks5Tunnel.Stream) straight over a socket: the socket's own <see cref="NetworkStream"/>
/// (no pipe in between for every read and write, as with .NET's own SOCKS support), which first returns the bytes the
/// handshake had already read past the reply. Disposing it disposes the tunnel.
/// </summary>
/// <remarks>
/// A wrapper rather than a subclass: NetworkStream sends a derived type's span reads and writes through the array
/// overloads, which would come back here.
/// </remarks>
internal sealed class SocketTunnelStream : TunnelStream
{
    // Does not own the socket: disposing this stream disposes the tunnel, which closes it.
    private readonly NetworkStream _inner;
    private byte[]? _buffered;
    private int _offset;

    public SocketTunnelStream(Socket socket, byte[]? buffered, IDisposable owner)
        : base(owner)
    {
        _inner = new NetworkStream(socket, ownsSocket: false);
        _buffered = buffered;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer) => TakeBuffered(buffer, out int taken) ? taken : _inner.Read(buffer);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        TakeBuffered(buffer.AsSpan(offset, count), out int taken) ? Task.FromResult(taken) : _inner.ReadAsync(buffer, offset, count, cancellationToken);

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        TakeBuffered(buffer.Span, out int taken) ? new ValueTask<int>(taken) : _inner.ReadAsync(buffer, cancellationToken);

    public override void Write(byte[] buffer, int offset, int count) => _inner.Write(buffer, offset, count);

    public override void Write(ReadOnlySpan<byte> buffer) => _inner.Write(buffer);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        _inner.WriteAsync(buffer, offset, count, cancellationToken);

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        _inner.WriteAsync(buffer, cancellationToken);

    // The bytes read past the reply come first; a zero-length read takes none of them and does not wait.
    private bool TakeBuffered(Span<byte> destination, out int taken)
    {
        ThrowIfDisposed();
        byte[]? buffered = _buffered;
        if (buffered is null)
        {
            taken = 0;
            return false;
        }

        taken = Math.Min(destination.Length, buffered.Length - _offset);
        buffered.AsSpan(_offset, taken).CopyTo(destination);
        _offset += taken;
        if (_offset == buffered.Length)
        {
            _buffered = null;
        }

        return true;
    }
}
#endif
