using System;
using System.Buffers;
using System.IO;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using Socks5.Protocol.Internal;

namespace Socks5.Protocol.Transport;

/// <summary>
/// A connected <see cref="System.Net.Sockets.Socket"/> as an <see cref="IDuplexPipe"/>, with the conventions the library's
/// adapters and relay rely on: completing <see cref="Output"/> half-closes the socket (a FIN to the peer, while reading goes
/// on), and an idle reader holds no buffer (it waits with zero-byte reads). The reader and writer are made on first use;
/// <see cref="Socks5Relay"/> and <c>Socks5Tunnel.Stream</c> can take the socket over from them once a handshake is done.
/// </summary>
public sealed class SocketPipe : IDuplexPipe, IDisposable
{
    private NetworkStream? _stream;
    private readonly int _bufferSize;
    private readonly bool _waitWithoutBuffer;
    private PipeReader? _input;
    private HalfClosingPipeWriter? _output;
    private EndPoint? _remoteEndPoint;
    private EndPoint? _localEndPoint;
    private bool _remoteRead;
    private bool _localRead;
    private int _disposed;
    private bool _detached;

    /// <summary>Wraps a connected socket. The pipe owns it from now on and closes it on dispose.</summary>
    /// <param name="socket">A connected stream socket.</param>
    /// <param name="bufferSize">
    /// The minimum size of the buffers the reader rents while data flows. The default, 128 KiB, is socat's relay buffer:
    /// on loopback a 16 KiB buffer costs twice the CPU per byte relayed.
    /// </param>
    /// <param name="waitWithoutBuffer">
    /// True (the default) for a connection that may stay idle: the reader first waits with a zero-byte read, holding no
    /// buffer, and rents one only when bytes are there. False for one whose next bytes are expected at once (a server's
    /// handshake, the client's next message): each read goes straight into a buffer, one receive and one
    /// <c>poll(2)</c> fewer per message, but an idle reader then holds a buffer of <paramref name="bufferSize"/>.
    /// A socket handed to <see cref="Socks5Relay"/> waits without a buffer either way.
    /// </param>
    public SocketPipe(Socket socket, int bufferSize = 128 * 1024, bool waitWithoutBuffer = true)
    {
        Socket = socket ?? throw new ArgumentNullException(nameof(socket));
        if (bufferSize <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(bufferSize), bufferSize, "The buffer size must be positive.");
        }

        _bufferSize = bufferSize;
        _waitWithoutBuffer = waitWithoutBuffer;
    }

    /// <summary>The socket.</summary>
    public Socket Socket { get; }

    /// <summary>The peer's address, read once on first use (null if the socket was closed by then).</summary>
    public EndPoint? RemoteEndPoint => ReadOnce(ref _remoteEndPoint, ref _remoteRead, static socket => socket.RemoteEndPoint);

    /// <summary>The local address, read once on first use (null if the socket was closed by then).</summary>
    public EndPoint? LocalEndPoint => ReadOnce(ref _localEndPoint, ref _localRead, static socket => socket.LocalEndPoint);

    // The reader and writer are made on first use: a pipe whose socket goes straight to the relay never needs them.

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">The socket was handed to <see cref="Socks5Relay"/>, which reads it itself.</exception>
    public PipeReader Input => _input ?? CreateInput();

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">The socket was handed to <see cref="Socks5Relay"/>, which writes it itself.</exception>
    public PipeWriter Output => _output ?? CreateOutput();

    /// <summary>
    /// True when the socket can be handed over (<see cref="Detach"/>): not disposed or detached, and the writer, if any,
    /// neither completed (a FIN already sent) nor holding bytes not yet flushed.
    /// </summary>
    internal bool CanDetach =>
        Volatile.Read(ref _disposed) == 0
        && !_detached
        && (_output is null || (!_output.IsCompleted && _output.UnflushedBytes == 0));

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
            await socket.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
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

        _input?.Complete();
        _output?.Complete();
        _stream?.Dispose();
        Socket.Dispose();
    }

    /// <summary>
    /// Hands the socket to a relay that reads and writes it itself (see <see cref="CanDetach"/>): takes the bytes the
    /// reader had buffered and not consumed (the first tunnel bytes, sent with the last handshake message), and releases
    /// the reader and writer and their buffers without a FIN. <see cref="Input"/> and <see cref="Output"/> throw from now
    /// on; <see cref="Dispose"/> still closes the socket.
    /// </summary>
    /// <param name="inputEnded">True when the reader had already seen the peer's FIN.</param>
    /// <returns>A copy of the buffered bytes, or null when there were none.</returns>
    internal byte[]? Detach(out bool inputEnded)
    {
        _detached = true;
        byte[]? leftover = null;
        inputEnded = false;
        if (_input is { } input)
        {
            try
            {
                // A cancelled read returns everything buffered, even bytes an earlier AdvanceTo marked as examined,
                // which a plain TryRead would hold back until more arrive.
                input.CancelPendingRead();
                if (input.TryRead(out ReadResult result))
                {
                    leftover = result.Buffer.IsEmpty ? null : result.Buffer.ToArray();
                    inputEnded = result.IsCompleted;
                    input.AdvanceTo(result.Buffer.End);
                }
            }
            catch (InvalidOperationException)
            {
                // The reader was completed already: nothing buffered is wanted.
            }

            input.Complete();
        }

        _output?.CompleteWithoutShutdown();
        _input = null;
        _output = null;
        _stream = null;
        return leftover;
    }

    private PipeReader CreateInput()
    {
        ThrowIfDetached();
        var created = PipeReader.Create(new ReadinessStream(Stream, this), new StreamPipeReaderOptions(bufferSize: _bufferSize, minimumReadSize: Math.Min(1024, _bufferSize), leaveOpen: true, useZeroByteReads: true));
        return Interlocked.CompareExchange(ref _input, created, null) ?? created;
    }

    private PipeWriter CreateOutput()
    {
        ThrowIfDetached();
        var created = new HalfClosingPipeWriter(PipeWriter.Create(Stream, new StreamPipeWriterOptions(leaveOpen: true)), Socket);
        return Interlocked.CompareExchange(ref _output, created, null) ?? created;
    }

    // What the reader and writer read and write; made with the first of them.
    private NetworkStream Stream
    {
        get
        {
            if (_stream is { } stream)
            {
                return stream;
            }

            var created = new NetworkStream(Socket, ownsSocket: false);
            return Interlocked.CompareExchange(ref _stream, created, null) ?? created;
        }
    }

    private void ThrowIfDetached()
    {
        if (_detached)
        {
            throw new InvalidOperationException("The socket was handed to the relay, which reads and writes it itself.");
        }
    }

    // An end point is read from the socket once (a system call each) and kept; a closed socket gives null.
    private EndPoint? ReadOnce(ref EndPoint? value, ref bool read, Func<Socket, EndPoint?> get)
    {
        if (!read)
        {
            try
            {
                value = get(Socket);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                value = null;
            }

            read = true;
        }

        return value;
    }

    // What the pipe reader reads from. Its zero-byte reads ("tell me when there are bytes", after which the reader rents a
    // buffer) can complete with nothing to read: a readiness event that arrives after an earlier read already took the
    // bytes it announced. The reader would then rent a buffer and park it in a read that waits for the next bytes, so an
    // idle tunnel would hold a pooled buffer. Here such a wake-up waits again; only bytes, the end or an error end the wait.
    private sealed class ReadinessStream : Stream
    {
        private readonly NetworkStream _inner;
        private readonly SocketPipe _pipe;

        public ReadinessStream(NetworkStream inner, SocketPipe pipe)
        {
            _inner = inner;
            _pipe = pipe;
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
            count > 0 ? _inner.ReadAsync(buffer, offset, count, cancellationToken)
            : _pipe._waitWithoutBuffer ? WaitReadableAsync(cancellationToken).AsTask()
            : Task.FromResult(0);

#if NET
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            !buffer.IsEmpty ? _inner.ReadAsync(buffer, cancellationToken)
            : _pipe._waitWithoutBuffer ? WaitReadableAsync(cancellationToken)
            : default;
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
                ValueTask<int> wait = _inner.ReadAsync(Memory<byte>.Empty, cancellationToken);
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
                    if (_pipe.Socket.Poll(0, SelectMode.SelectRead))
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

        public bool IsCompleted => Volatile.Read(ref _completed) != 0;

        // For a relay that takes the socket over: the writer's buffers go back, the socket stays open both ways.
        public void CompleteWithoutShutdown()
        {
            if (Interlocked.Exchange(ref _completed, 1) == 0)
            {
                _inner.Complete();
            }
        }

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
