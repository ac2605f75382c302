using System;
using System.Buffers;
using System.IO;
using System.IO.Pipelines;
using System.Threading;
using System.Threading.Tasks;

namespace Socks5.Protocol.Transport;

/// <summary>
/// A <see cref="Stream"/> over an <see cref="IDuplexPipe"/>: reads drain the pipe's reader (so bytes the proxy sent right
/// after its reply come first), writes go to the pipe's writer and are flushed at once. Disposing it disposes its owner.
/// </summary>
internal sealed class DuplexPipeStream : TunnelStream
{
    private readonly IDuplexPipe _pipe;

    public DuplexPipeStream(IDuplexPipe pipe, IDisposable owner)
        : base(owner)
    {
        _pipe = pipe;
    }

    public override int Read(byte[] buffer, int offset, int count) =>
        ReadCoreAsync(new Memory<byte>(buffer, offset, count), CancellationToken.None).AsTask().GetAwaiter().GetResult();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadCoreAsync(new Memory<byte>(buffer, offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) =>
        WriteCoreAsync(new ReadOnlyMemory<byte>(buffer, offset, count), CancellationToken.None).AsTask().GetAwaiter().GetResult();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteCoreAsync(new ReadOnlyMemory<byte>(buffer, offset, count), cancellationToken).AsTask();

#if NET
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        ReadCoreAsync(buffer, cancellationToken);

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        WriteCoreAsync(buffer, cancellationToken);
#endif

    private async ValueTask<int> ReadCoreAsync(Memory<byte> destination, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        PipeReader reader = _pipe.Input;
        while (true)
        {
            ReadResult result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = result.Buffer;
            if (!buffer.IsEmpty)
            {
                // A zero-length read waits for data and takes none of it, as on a socket.
                int count = (int)Math.Min(buffer.Length, destination.Length);
                buffer.Slice(0, count).CopyTo(destination.Span);
                reader.AdvanceTo(buffer.GetPosition(count));
                return count;
            }

            reader.AdvanceTo(buffer.End);
            if (result.IsCompleted)
            {
                return 0;
            }

            if (result.IsCanceled)
            {
                throw new OperationCanceledException("The read was cancelled.");
            }
        }
    }

    private async ValueTask WriteCoreAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        FlushResult result = await _pipe.Output.WriteAsync(source, cancellationToken).ConfigureAwait(false);
        if (result.IsCompleted)
        {
            throw new IOException("The tunnel no longer accepts data.");
        }
    }
}
