using System;
using System.IO;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;

namespace Socks5.Protocol.Pipelines;

/// <summary>
/// A connected <see cref="System.Net.Sockets.Socket"/> as an <see cref="IDuplexPipe"/>, with the conventions the library's
/// adapters and relay rely on: completing <see cref="Output"/> half-closes the socket (a FIN to the peer, while reading goes
/// on), and an idle reader holds no buffer (it waits with zero-byte reads).
/// </summary>
public sealed class SocketPipe : IDuplexPipe, IDisposable
{
    private readonly NetworkStream _stream;
    private int _disposed;

    /// <summary>Wraps a connected socket. The pipe owns it from now on and closes it on dispose.</summary>
    /// <param name="socket">A connected stream socket.</param>
    /// <param name="bufferSize">
    /// The minimum size of the buffers the reader rents while data flows (none is held while the socket is idle). The
    /// default, 128 KiB, is socat's relay buffer: on loopback a 16 KiB buffer costs twice the CPU per byte relayed.
    /// </param>
    public SocketPipe(Socket socket, int bufferSize = 128 * 1024)
    {
        Socket = socket ?? throw new ArgumentNullException(nameof(socket));
        _stream = new NetworkStream(socket, ownsSocket: false);
        Input = PipeReader.Create(new ReadinessStream(_stream, socket), new StreamPipeReaderOptions(bufferSize: bufferSize, minimumReadSize: Math.Min(1024, bufferSize), leaveOpen: true, useZeroByteReads: true));
        Output = new HalfClosingPipeWriter(PipeWriter.Create(_stream, new StreamPipeWriterOptions(leaveOpen: true)), socket);
        RemoteEndPoint = SafeEndPoint(() => socket.RemoteEndPoint);
        LocalEndPoint = SafeEndPoint(() => socket.LocalEndPoint);
    }

    /// <summary>The socket.</summary>
    public Socket Socket { get; }

    /// <summary>The peer's address, read once when the pipe was created.</summary>
    public EndPoint? RemoteEndPoint { get; }

    /// <summary>The local address, read once when the pipe was created.</summary>
    public EndPoint? LocalEndPoint { get; }

    /// <inheritdoc/>
    public PipeReader Input { get; }

    /// <inheritdoc/>
    public PipeWriter Output { get; }

    /// <summary>Connects to <paramref name="endPoint"/> and wraps the socket.</summary>
    /// <param name="endPoint">Where to connect.</param>
    /// <param name="cancellationToken">Cancels the connect; the socket is closed.</param>
    /// <returns>The connected pipe.</returns>
    public static async Task<SocketPipe> ConnectAsync(EndPoint endPoint, CancellationToken cancellationToken = default)
    {
        var socket = endPoint is DnsEndPoint
            ? new Socket(SocketType.Stream, ProtocolType.Tcp)
            : new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.NoDelay = true;
#if NET
            await socket.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
#else
            using (cancellationToken.Register(static s => ((Socket)s!).Dispose(), socket))
            {
                await Task.Factory.FromAsync(socket.BeginConnect, socket.EndConnect, endPoint, null).ConfigureAwait(false);
            }

            cancellationToken.ThrowIfCancellationRequested();
#endif
            return new SocketPipe(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Closes the socket at once (no lingering), ending both directions.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Input.Complete();
        Output.Complete();
        _stream.Dispose();
        Socket.Dispose();
    }

    private static EndPoint? SafeEndPoint(Func<EndPoint?> get)
    {
        try
        {
            return get();
        }
        catch (SocketException)
        {
            return null;
        }
        catch (ObjectDisposedException)
        {
            return null;
        }
    }

    // What the pipe reader reads from. Its zero-byte reads ("tell me when there are bytes", after which the reader rents a
    // buffer) can complete with nothing to read: a readiness event that arrives after an earlier read already took the
    // bytes it announced. The reader would then rent a buffer and park it in a read that waits for the next bytes, so an
    // idle tunnel would hold a pooled buffer. Here such a wake-up waits again; only bytes, the end or an error end the wait.
    private sealed class ReadinessStream : Stream
    {
        private readonly NetworkStream _inner;
        private readonly Socket _socket;

        public ReadinessStream(NetworkStream inner, Socket socket)
        {
            _inner = inner;
            _socket = socket;
        }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, count);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            count == 0 ? WaitReadableAsync(cancellationToken).AsTask() : _inner.ReadAsync(buffer, offset, count, cancellationToken);

#if NET
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            buffer.IsEmpty ? WaitReadableAsync(cancellationToken) : _inner.ReadAsync(buffer, cancellationToken);
#endif

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        private async ValueTask<int> WaitReadableAsync(CancellationToken cancellationToken)
        {
            while (true)
            {
#if NET
                ValueTask<int> wait = _inner.ReadAsync(Memory<byte>.Empty, cancellationToken);
#else
                ValueTask<int> wait = new(_inner.ReadAsync(Array.Empty<byte>(), 0, 0, cancellationToken));
#endif
                if (wait.IsCompleted)
                {
                    // Answered at once (the runtime peeked and saw bytes, the end or an error): no stale event involved.
                    await wait.ConfigureAwait(false);
                    return 0;
                }

                await wait.ConfigureAwait(false);
                try
                {
                    // Readable now: bytes, the peer's FIN, or an error that the real read will report. One poll(2), no wait.
                    if (_socket.Poll(0, SelectMode.SelectRead))
                    {
                        return 0;
                    }
                }
                catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
                {
                    return 0; // the real read reports it
                }
            }
        }
    }

    // Completing the output sends a FIN: Shutdown(Send) after the last flush. Everything else is the inner writer's.
    private sealed class HalfClosingPipeWriter : PipeWriter
    {
        private readonly PipeWriter _inner;
        private readonly Socket _socket;
        private int _completed;

        public HalfClosingPipeWriter(PipeWriter inner, Socket socket)
        {
            _inner = inner;
            _socket = socket;
        }

        public override void Advance(int bytes) => _inner.Advance(bytes);

        public override Memory<byte> GetMemory(int sizeHint = 0) => _inner.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => _inner.GetSpan(sizeHint);

        public override void CancelPendingFlush() => _inner.CancelPendingFlush();

        public override bool CanGetUnflushedBytes => _inner.CanGetUnflushedBytes;

        public override long UnflushedBytes => _inner.UnflushedBytes;

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => _inner.FlushAsync(cancellationToken);

        public override ValueTask<FlushResult> WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default) =>
            _inner.WriteAsync(source, cancellationToken);

        public override void Complete(Exception? exception = null)
        {
            if (Interlocked.Exchange(ref _completed, 1) != 0)
            {
                return;
            }

            try
            {
                _inner.Complete(exception);
            }
            catch (IOException)
            {
                // The peer is gone; there is nothing left to flush to.
            }
            catch (ObjectDisposedException)
            {
            }

            Shutdown();
        }

        public override async ValueTask CompleteAsync(Exception? exception = null)
        {
            if (Interlocked.Exchange(ref _completed, 1) != 0)
            {
                return;
            }

            try
            {
                await _inner.CompleteAsync(exception).ConfigureAwait(false);
            }
            catch (IOException)
            {
            }
            catch (ObjectDisposedException)
            {
            }

            Shutdown();
        }

        private void Shutdown()
        {
            try
            {
                _socket.Shutdown(SocketShutdown.Send);
            }
            catch (SocketException)
            {
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }
}
