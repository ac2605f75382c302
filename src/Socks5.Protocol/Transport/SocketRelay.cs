#if NET
using System;
using System.Buffers;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using Socks5.Protocol.Diagnostics;

namespace Socks5.Protocol.Transport;

/// <summary>
/// <see cref="Socks5Relay"/> between two <see cref="SocketPipe"/>s: the sockets are read and written directly, the pipes
/// released. The same contract as the pipe relay (both directions at once, half-close passed on, a failure ends both), at
/// less cost: per chunk one receive and one send, and while a direction is idle it holds no buffer and no pipe, only a
/// zero-byte receive waiting for the socket to become readable.
/// </summary>
/// <remarks>
/// The relay is its own task source: the pump that ends last completes it. An idle tunnel then holds the two pumps'
/// suspended frames and this object, and no frame that merely waits for both (each such frame lives as long as the tunnel).
/// </remarks>
internal sealed partial class SocketRelay : TaskCompletionSource<RelayResult>, IRelayProgress
{
    // Each direction starts a burst with a small buffer and doubles it while receives fill it (the sender is ahead), up to
    // 1 MiB; it falls back to the small one when the socket runs dry. A bulk transfer then moves large chunks: on the
    // 2-core loopback benchmark a fixed 128 KiB buffer (socat's) cost 0.72 to 0.84 s of CPU per GiB, 512 KiB 0.56,
    // 1 MiB 0.48, each chunk being a receive, a send and often a hand-off to the thread pool. An interactive tunnel
    // never grows past the small one, and an idle one holds none. Buffers above the small size are charged to a budget
    // shared by the tunnels (see RelayBufferBudget): a direction whose doubling does not fit stays at its size.
    private const int MinimumBufferSize = 16 * 1024;
    private const int MaximumBufferSize = 1024 * 1024;

    private readonly Socket _first;
    private readonly Socket _second;
    private readonly ArrayPool<byte> _pool;
    private readonly RelayBufferBudget _budget;
    private readonly bool _serverIo; // a server's tunnel (the client first): chunks go to socks5.server.io too
    private readonly TimeSpan _halfCloseTimeout;
    private readonly TimeProvider _clock;
    private bool _splice; // bursts go through splice(2); off for good if a socket refuses it
    private CancellationTokenRegistration _stop;
    private Exception? _error; // the first failure that ended the tunnel, for the report
    private long _fromFirst;
    private long _fromSecond;
    private int _running = 2;
    private int _aborted;
    private RelayLimits? _limits; // null: no rate limit, the usual case (one field, so that it costs an idle tunnel 8 bytes)

    private SocketRelay(Socket first, Socket second, ArrayPool<byte> pool, RelayBufferBudget budget, bool serverIo, TimeSpan halfCloseTimeout, TimeProvider clock)
    {
        _budget = budget;
        _halfCloseTimeout = halfCloseTimeout;
        _clock = clock;
        _serverIo = serverIo;
        _first = first;
        _second = second;
        _pool = pool;
    }

    /// <summary>Relays until both directions have ended or one failed; see <see cref="Socks5Relay.RunAsync(System.IO.Pipelines.IDuplexPipe, System.IO.Pipelines.IDuplexPipe, TimeSpan, CancellationToken)"/>.</summary>
    /// <param name="first">One side, taken over.</param>
    /// <param name="second">The other side, taken over.</param>
    /// <param name="settings">Timeouts, pool, budget, clock, server counting, splice.</param>
    /// <param name="limitFirst">The rate limit of the bytes from <paramref name="first"/>, or null.</param>
    /// <param name="limitSecond">The rate limit of the bytes from <paramref name="second"/>, or null.</param>
    /// <param name="progress">The relay's live counters.</param>
    /// <param name="cancellationToken">Stops the relay.</param>
    public static Task<RelayResult> RunAsync(SocketPipe first, SocketPipe second, RelaySettings settings, ByteRateLimiter? limitFirst, ByteRateLimiter? limitSecond, out IRelayProgress progress, CancellationToken cancellationToken)
    {
        byte[]? fromFirst = first.Detach(out bool firstEnded);
        byte[]? fromSecond = second.Detach(out bool secondEnded);
        var relay = new SocketRelay(first.Socket, second.Socket, settings.Pool, settings.Budget, settings.ServerIo, settings.HalfCloseTimeout, settings.Clock);
        relay._splice = settings.Splice && LinuxSplice.IsSupported;
        progress = relay;
        if (limitFirst is not null || limitSecond is not null)
        {
            relay._limits = new RelayLimits(limitFirst, limitSecond);
        }

        // A receive that finds nothing must say so instead of waiting: the wait is the zero-byte receive, without a buffer.
        relay._first.Blocking = false;
        relay._second.Blocking = false;

        // Stopping shuts both sockets down, which ends whatever each direction waits for: one registration per tunnel,
        // made once, rather than one per wait on a token source that every tunnel of the server shares.
        relay._stop = cancellationToken.UnsafeRegister(static s => ((SocketRelay)s!).Abort(), relay);
        _ = relay.PumpAsync(relay._first, relay._second, fromFirst, firstEnded, forward: true);
        _ = relay.PumpAsync(relay._second, relay._first, fromSecond, secondEnded, forward: false);
        if (settings.IdleTimeout != Timeout.InfiniteTimeSpan)
        {
            _ = Socks5Relay.WatchIdleAsync(relay.Task, () => Volatile.Read(ref relay._fromFirst) + Volatile.Read(ref relay._fromSecond), relay.Abort, settings.IdleTimeout, settings.Clock);
        }

        return relay.Task;
    }

    public long BytesFromFirst => Volatile.Read(ref _fromFirst);

    public long BytesFromSecond => Volatile.Read(ref _fromSecond);

    // Shutting both sockets down both ways wakes every pending receive (it reads an end) and send (it fails), so the
    // pumps end, and each peer gets a FIN. Closing them here instead would reset the connections: the runtime closes a
    // socket with operations pending abortively. The callers close the sockets afterwards.
    private void Abort()
    {
        if (Interlocked.Exchange(ref _aborted, 1) == 0)
        {
            ShutdownBoth(_first);
            ShutdownBoth(_second);
            _limits?.Stop.Cancel();
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

    // One direction. Every way out of it, a failure of any kind included, ends the whole tunnel: a direction that stopped
    // alone would leave the other one waiting for ever (there is no idle timeout by default).
    private async Task PumpAsync(Socket from, Socket to, byte[]? buffered, bool ended, bool forward)
    {
        // The pooled buffer this direction holds, or null. It is set to null the moment it goes back to the pool, before
        // anything else can throw: a buffer returned twice would be handed to two tunnels at once, mixing their bytes.
        // Its size: while above the smallest, exactly that many bytes are charged to the budget, released once, when it
        // falls back to the smallest or in the finally below.
        byte[]? buffer = null;
        int size = MinimumBufferSize;
        ByteRateLimiter? limit = forward ? _limits?.First : _limits?.Second;
        try
        {
            if (buffered is not null)
            {
                await to.SendAsync(buffered, SocketFlags.None).ConfigureAwait(false);
                Count(forward, buffered.Length);
            }

            while (!ended)
            {
                int allowed = int.MaxValue; // bytes the rate limit lets this receive take
                if (limit is not null && buffer is not null && (allowed = limit.TryTake(buffer.Length)) == 0)
                {
                    // Out of bytes while data flows: wait for the bucket below, like an idle tunnel, holding no buffer.
                    ReturnBuffer(ref buffer);
                }

                if (buffer is null)
                {
                    // Wait until the socket is readable (bytes, FIN or an error) holding nothing. A readiness event that
                    // an earlier receive already drained wakes this too; the receive below then finds nothing and we
                    // wait again, so an idle tunnel never parks a buffer.
                    await from.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None).ConfigureAwait(false);
                    if (limit is not null)
                    {
                        allowed = await limit.TakeAsync(size, _limits!.Stop.Token).ConfigureAwait(false);
                    }

                    buffer = _pool.Rent(size);
                }

                int received = from.Receive(buffer, 0, Math.Min(buffer.Length, allowed), SocketFlags.None, out SocketError error);
                limit?.Refund(allowed - Math.Max(received, 0));
                if (error == SocketError.WouldBlock)
                {
                    ReturnBuffer(ref buffer);
                    Shrink(ref size);
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

                // Most sends fit in the socket's buffer at once; only the rest, if any, waits (a stream socket's
                // SendAsync completes when every byte has been handed to the kernel).
                int sent = to.Send(buffer, 0, received, SocketFlags.None, out error);
                if (error == SocketError.WouldBlock)
                {
                    sent = 0;
                }
                else if (error != SocketError.Success)
                {
                    throw new SocketException((int)error);
                }

                if (sent < received)
                {
                    await to.SendAsync(buffer.AsMemory(sent, received - sent), SocketFlags.None).ConfigureAwait(false);
                }

                Count(forward, received);
                if (received == buffer.Length && _splice && limit is null)
                {
                    // The receive filled the buffer: a burst. Splice the rest of it, socket to socket through a
                    // kernel pipe, until the socket runs dry (then wait again, as above) or ends. No growing buffer.
                    // A rate-limited direction copies: its chunks are the limit's, and it is slow by design.
                    ended = await SpliceBurstAsync(from, to, buffer, forward).ConfigureAwait(false);
                }
                else if (received == buffer.Length && size < MaximumBufferSize && TryChargeDouble(ref size))
                {
                    // The receive filled the buffer: more is waiting. Take it in larger chunks. If the larger rent
                    // fails (memory is short), the tunnel ends below holding no buffer (and gives the charge back).
                    ReturnBuffer(ref buffer);
                    buffer = _pool.Rent(size);
                }
            }

            // Half-close: the other side learns that this direction is finished, the reverse direction goes on.
            to.Shutdown(SocketShutdown.Send);
        }
        catch (Exception ex)
        {
            // A reset, a closed socket, a stop, or anything else (memory running out included): nothing more can flow
            // either way. Only the first failure is kept; those that the shutdown causes afterwards are its echo.
            if (Volatile.Read(ref _aborted) == 0)
            {
                Interlocked.CompareExchange(ref _error, ex, null);
            }

            Abort();
        }
        finally
        {
            if (buffer is not null)
            {
                ReturnBuffer(ref buffer);
            }

            Shrink(ref size);
            int running = Interlocked.Decrement(ref _running);
            if (running == 0)
            {
                _stop.Dispose();
                TrySetResult(new RelayResult { BytesFromFirst = Volatile.Read(ref _fromFirst), BytesFromSecond = Volatile.Read(ref _fromSecond), Error = Volatile.Read(ref _error) });
            }
            else if (_halfCloseTimeout >= TimeSpan.Zero)
            {
                // This direction has finished, the other goes on: for a bounded time only.
                _ = Socks5Relay.BoundHalfCloseAsync(System.Threading.Tasks.Task.CompletedTask, Task, () => Volatile.Read(ref _fromFirst) + Volatile.Read(ref _fromSecond), Abort, _halfCloseTimeout, _clock);
            }
        }
    }

    // Doubles size if the budget has room for the larger buffer (less the charge the current one holds).
    private bool TryChargeDouble(ref int size)
    {
        int larger = size * 2;
        if (!_budget.TryCharge(larger - Charge(size)))
        {
            return false;
        }

        size = larger;
        return true;
    }

    // Back to the smallest size, giving its charge back.
    private void Shrink(ref int size)
    {
        if (Charge(size) is long charged and > 0)
        {
            _budget.Release(charged);
        }

        size = MinimumBufferSize;
    }

    private static long Charge(int size) => size > MinimumBufferSize ? size : 0;

    // The rate limits of each direction, and what wakes a direction that waits for one when the tunnel is aborted (a wait
    // on the clock is no socket operation, which the shutdown would end).
    private sealed class RelayLimits(ByteRateLimiter? first, ByteRateLimiter? second)
    {
        public ByteRateLimiter? First { get; } = first;

        public ByteRateLimiter? Second { get; } = second;

        public CancellationTokenSource Stop { get; } = new();
    }

    private void ReturnBuffer(ref byte[]? buffer)
    {
        byte[] returned = buffer!;
        buffer = null;
        _pool.Return(returned);
    }

    private void Count(bool forward, int bytes)
    {
        if (forward)
        {
            Interlocked.Add(ref _fromFirst, bytes);
        }
        else
        {
            Interlocked.Add(ref _fromSecond, bytes);
        }

        if (_serverIo)
        {
            Socks5Telemetry.CountServerIo(fromClient: forward, bytes);
        }
    }
}
#endif
