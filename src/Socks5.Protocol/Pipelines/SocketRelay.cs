#if NET
using System;
using System.Buffers;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;

namespace Socks5.Protocol.Pipelines;

/// <summary>
/// <see cref="Socks5Relay"/> between two <see cref="SocketPipe"/>s: the sockets are read and written directly, the pipes
/// released. The same contract as the pipe relay (both directions at once, half-close passed on, a failure ends both), at
/// less cost: per chunk one receive and one send, and while a direction is idle it holds no buffer and no pipe, only a
/// zero-byte receive waiting for the socket to become readable.
/// </summary>
internal sealed class SocketRelay
{
    // socat's relay buffer; on loopback a 16 KiB buffer costs about twice the CPU per byte.
    private const int BufferSize = 128 * 1024;

    private readonly Socket _first;
    private readonly Socket _second;
    private readonly long[] _counters = new long[2];
    private int _aborted;

    private SocketRelay(Socket first, Socket second)
    {
        _first = first;
        _second = second;
    }

    /// <summary>Relays until both directions have ended or one failed; see <see cref="Socks5Relay.RunAsync(System.IO.Pipelines.IDuplexPipe, System.IO.Pipelines.IDuplexPipe, TimeSpan, CancellationToken)"/>.</summary>
    public static async Task<RelayResult> RunAsync(SocketPipe first, SocketPipe second, TimeSpan idleTimeout, CancellationToken cancellationToken)
    {
        byte[]? fromFirst = first.Detach(out bool firstEnded);
        byte[]? fromSecond = second.Detach(out bool secondEnded);
        var relay = new SocketRelay(first.Socket, second.Socket);

        // A receive that finds nothing must say so instead of waiting: the wait is the zero-byte receive, without a buffer.
        relay._first.Blocking = false;
        relay._second.Blocking = false;

        // Stopping closes both sockets, which ends whatever each direction is waiting for: one registration per tunnel
        // instead of one per receive and send.
        using (cancellationToken.UnsafeRegister(static s => ((SocketRelay)s!).Abort(), relay))
        {
            Task forward = relay.PumpAsync(relay._first, relay._second, fromFirst, firstEnded, 0);
            Task backward = relay.PumpAsync(relay._second, relay._first, fromSecond, secondEnded, 1);
            Task both = Task.WhenAll(forward, backward);
            if (idleTimeout != Timeout.InfiniteTimeSpan)
            {
                await Socks5Relay.WatchIdleAsync(both, relay._counters, idleTimeout, static s => ((SocketRelay)s).Abort(), relay).ConfigureAwait(false);
            }

            await both.ConfigureAwait(false);
        }

        return new RelayResult(Volatile.Read(ref relay._counters[0]), Volatile.Read(ref relay._counters[1]));
    }

    // Shutting both sockets down both ways wakes every pending receive (it reads an end) and send (it fails), so the
    // pumps end, and each peer gets a FIN. Closing them here instead would reset the connections: the runtime closes a
    // socket with operations pending abortively. The callers close the sockets afterwards.
    private void Abort()
    {
        if (Interlocked.Exchange(ref _aborted, 1) == 0)
        {
            ShutdownBoth(_first);
            ShutdownBoth(_second);
        }
    }

    private static void ShutdownBoth(Socket socket)
    {
        try
        {
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Already closed or reset: nothing waits on it.
        }
    }

    private async Task PumpAsync(Socket from, Socket to, byte[]? buffered, bool ended, int index)
    {
        byte[]? buffer = null;
        try
        {
            if (buffered is not null)
            {
                await to.SendAsync(buffered, SocketFlags.None).ConfigureAwait(false);
                Interlocked.Add(ref _counters[index], buffered.Length);
            }

            while (!ended)
            {
                if (buffer is null)
                {
                    // Wait until the socket is readable (bytes, FIN or an error) holding nothing. A readiness event that
                    // an earlier receive already drained wakes this too; the receive below then finds nothing and we
                    // wait again, so an idle tunnel never parks a buffer.
                    await from.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None).ConfigureAwait(false);
                    buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
                }

                int received = from.Receive(buffer, 0, buffer.Length, SocketFlags.None, out SocketError error);
                if (error == SocketError.WouldBlock)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = null;
                    continue;
                }

                if (error != SocketError.Success)
                {
                    throw new SocketException((int)error);
                }

                if (received == 0)
                {
                    ended = true; // the peer's FIN
                    break;
                }

                // A stream socket's SendAsync completes when every byte has been handed to the kernel.
                await to.SendAsync(buffer.AsMemory(0, received), SocketFlags.None).ConfigureAwait(false);
                Interlocked.Add(ref _counters[index], received);
            }

            // Half-close: the other side learns that this direction is finished, the reverse direction goes on.
            to.Shutdown(SocketShutdown.Send);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // A reset, a closed socket or a stop: nothing more can flow either way.
            Abort();
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }
}
#endif
