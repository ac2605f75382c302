using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace Socks5.Protocol.Transport;

/// <summary>
/// What the two forms of a tunnel's stream (the client's Socks5Tunnel.Stream) share: a non-seekable stream whose writes need no flush, and whose
/// disposal disposes its owner (the tunnel) once.
/// </summary>
internal abstract class TunnelStream : Stream
{
    private readonly IDisposable _owner;
    private int _disposed;

    protected TunnelStream(IDisposable owner) => _owner = owner;

    public override bool CanRead => _disposed == 0;

    public override bool CanWrite => _disposed == 0;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    protected override void Dispose(bool disposing)
    {
        if (disposing && Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _owner.Dispose();
        }

        base.Dispose(disposing);
    }

    protected void ThrowIfDisposed()
    {
        if (_disposed != 0)
        {
            throw new ObjectDisposedException(GetType().Name);
        }
    }
}
