using System;
using System.Buffers;
using System.IO.Pipelines;
using System.Threading;
using System.Threading.Tasks;
using Socks5.Protocol.Diagnostics;
using Socks5.Protocol.Internal;

namespace Socks5.Protocol.Transport;

/// <summary>The bytes a finished relay moved each way, and what ended it when it did not end cleanly.</summary>
public readonly record struct RelayResult
{
    /// <summary>Bytes read from the first pipe and written to the second (client to target, for a server).</summary>
    public long BytesFromFirst { get; init; }

    /// <summary>Bytes read from the second pipe and written to the first.</summary>
    public long BytesFromSecond { get; init; }

    /// <summary>
    /// The failure that ended the tunnel (a reset, or anything else that went wrong in either direction, such as memory
    /// running out), or null when both directions ended with a FIN or the relay was stopped or timed out.
    /// </summary>
    public Exception? Error { get; init; }
}

/// <summary>
/// Joins two pipes after a handshake: both directions at once, with half-close passed through (when one side's input ends,
/// the other side's output is completed, which a <see cref="SocketPipe"/> turns into a FIN, while the reverse direction goes
/// on), backpressure from the pipes, and nothing lost.
/// </summary>
/// <remarks>
/// Two <see cref="SocketPipe"/>s (on net10.0; the netstandard2.0 build relays through the pipes) are relayed socket to socket: the relay takes their sockets over,
/// bytes their readers had buffered included, and releases the pipes, so that each direction waits for data holding no
/// buffer and then moves it with one receive and one send. Their <see cref="SocketPipe.Input"/> and
/// <see cref="SocketPipe.Output"/> throw from then on; disposing them still closes the sockets.
/// </remarks>
public static class Socks5Relay
{
    /// <summary>
    /// Relays until both directions have ended, or one fails (then the other is cancelled). Neither pipe is disposed: the
    /// caller closes both afterwards.
    /// </summary>
    /// <param name="first">One side (for a server, the client's connection, positioned at the first tunnel byte).</param>
    /// <param name="second">The other side.</param>
    /// <param name="cancellationToken">Stops the relay.</param>
    /// <returns>The byte counts of both directions.</returns>
    public static Task<RelayResult> RunAsync(IDuplexPipe first, IDuplexPipe second, CancellationToken cancellationToken = default) =>
        RunAsync(first, second, Timeout.InfiniteTimeSpan, cancellationToken);

    /// <summary>
    /// Relays like <see cref="RunAsync(IDuplexPipe, IDuplexPipe, CancellationToken)"/>, and also stops both directions when
    /// no byte has moved either way for <paramref name="idleTimeout"/>.
    /// </summary>
    /// <param name="first">One side (for a server, the client's connection, positioned at the first tunnel byte).</param>
    /// <param name="second">The other side.</param>
    /// <param name="idleTimeout">How long the tunnel may be silent both ways; <see cref="Timeout.InfiniteTimeSpan"/> for no limit.</param>
    /// <param name="cancellationToken">Stops the relay.</param>
    /// <returns>The byte counts of both directions.</returns>
    public static Task<RelayResult> RunAsync(IDuplexPipe first, IDuplexPipe second, TimeSpan idleTimeout, CancellationToken cancellationToken = default) =>
        RunAsync(first, second, new RelaySettings { IdleTimeout = idleTimeout }, cancellationToken);

    /// <summary>The relay as <paramref name="settings"/> say, without rate limits.</summary>
    internal static Task<RelayResult> RunAsync(IDuplexPipe first, IDuplexPipe second, RelaySettings settings, CancellationToken cancellationToken) =>
        RunAsync(first, second, settings, null, null, out _, cancellationToken);

    /// <summary>
    /// The relay as <paramref name="settings"/> say, with a rate limit on each direction (null for none: then nothing is
    /// done per chunk but a null test), and its live counters in <paramref name="progress"/> (a server's per-user
    /// statistics read them).
    /// </summary>
    internal static Task<RelayResult> RunAsync(IDuplexPipe first, IDuplexPipe second, RelaySettings settings, ByteRateLimiter? limitFirst, ByteRateLimiter? limitSecond, out IRelayProgress progress, CancellationToken cancellationToken)
    {
        if (first is null)
        {
            throw new ArgumentNullException(nameof(first));
        }

        if (second is null)
        {
            throw new ArgumentNullException(nameof(second));
        }

#if NET
        if (first is SocketPipe firstSocket && second is SocketPipe secondSocket && firstSocket.CanDetach && secondSocket.CanDetach)
        {
            // Two sockets: relay them directly (no pipes, no buffer while idle). Same contract, less work per byte.
            return SocketRelay.RunAsync(firstSocket, secondSocket, settings, limitFirst, limitSecond, out progress, cancellationToken);
        }
#endif

        var counters = new PipeCounters();
        progress = counters;
        return RunPipesAsync(first, second, settings.IdleTimeout, settings.HalfCloseTimeout, settings.Clock, settings.ServerIo, counters, limitFirst, limitSecond, cancellationToken);
    }

    private static async Task<RelayResult> RunPipesAsync(IDuplexPipe first, IDuplexPipe second, TimeSpan idleTimeout, TimeSpan halfCloseTimeout, TimeProvider clock, bool serverIo, PipeCounters counters, ByteRateLimiter? limitFirst, ByteRateLimiter? limitSecond, CancellationToken cancellationToken)
    {
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var errors = new Exception?[1];
        Task forward = CopyAsync(first.Input, second.Output, counters.Counts, 0, errors, failed, serverIo, limitFirst);
        Task backward = CopyAsync(second.Input, first.Output, counters.Counts, 1, errors, failed, serverIo, limitSecond);
        Task both = Task.WhenAll(forward, backward);
        Func<long> moved = () => counters.BytesFromFirst + counters.BytesFromSecond;
        if (halfCloseTimeout >= TimeSpan.Zero)
        {
            _ = BoundHalfCloseAsync(Task.WhenAny(forward, backward), both, moved, failed.Cancel, halfCloseTimeout, clock);
        }

        if (idleTimeout != Timeout.InfiniteTimeSpan)
        {
            await WatchIdleAsync(both, moved, failed.Cancel, idleTimeout, clock).ConfigureAwait(false);
        }

        await both.ConfigureAwait(false);
        return new RelayResult { BytesFromFirst = counters.BytesFromFirst, BytesFromSecond = counters.BytesFromSecond, Error = Volatile.Read(ref errors[0]) };
    }

    // The pipe relay's two counters (forward, backward), readable while it runs.
    private sealed class PipeCounters : IRelayProgress
    {
        public readonly long[] Counts = new long[2];

        public long BytesFromFirst => Volatile.Read(ref Counts[0]);

        public long BytesFromSecond => Volatile.Read(ref Counts[1]);
    }

    // Stops the relay when the byte counters have not moved for a whole idle period. The clock's timestamps are
    // monotonic, so a change of the wall clock neither ends a busy tunnel nor keeps an idle one.
    internal static async Task WatchIdleAsync(Task relay, Func<long> moved, Action stop, TimeSpan idleTimeout, TimeProvider clock)
    {
        TimeSpan tick = TimeSpan.FromMilliseconds(Math.Max(10, Math.Min(1000, idleTimeout.TotalMilliseconds / 4)));
        long last = moved();
        long lastMove = clock.GetTimestamp();
        while (!relay.IsCompleted)
        {
            await Task.WhenAny(relay, clock.DelayAsync(tick, CancellationToken.None)).ConfigureAwait(false);
            long now = moved();
            if (now != last)
            {
                last = now;
                lastMove = clock.GetTimestamp();
            }
            else if (clock.GetElapsedTime(lastMove) >= idleTimeout)
            {
                try
                {
                    stop();
                }
                catch (ObjectDisposedException)
                {
                    // The relay ended meanwhile and released what stops it.
                }

                return;
            }
        }
    }

    // Once oneEnded has completed (one direction finished), the other direction may go on as long as it moves bytes, but
    // no longer than halfCloseTimeout without moving any: a peer that never finishes a silent direction cannot hold the
    // tunnel (and the other side in FIN_WAIT_2) for ever, while a download after the client's FIN still completes. The
    // same idle watch as the idle timeout, started once per tunnel, off the path of the bytes.
    internal static async Task BoundHalfCloseAsync(Task oneEnded, Task relay, Func<long> moved, Action stop, TimeSpan halfCloseTimeout, TimeProvider clock)
    {
        await oneEnded.ConfigureAwait(false);
        if (!relay.IsCompleted)
        {
            await WatchIdleAsync(relay, moved, stop, halfCloseTimeout, clock).ConfigureAwait(false);
        }
    }

    // One direction. Any failure, of any kind, stops the other direction too: one that ended alone would leave the other
    // waiting for ever. The first failure is kept in errors[0] for the result.
    // A rate limit (when not null) is taken before each write: the bytes wait in the reader's pipe, unread, which then
    // stops reading its socket once full (its backpressure), so the limit holds no buffer of its own.
    private static async Task CopyAsync(PipeReader from, PipeWriter to, long[] counters, int index, Exception?[] errors, CancellationTokenSource failed, bool serverIo, ByteRateLimiter? limit)
    {
        Exception? error = null;
        try
        {
            while (true)
            {
                ReadResult result = await from.ReadAsync(failed.Token).ConfigureAwait(false);
                var buffer = result.Buffer;
                bool stop = false;
                foreach (ReadOnlyMemory<byte> segment in buffer)
                {
                    ReadOnlyMemory<byte> rest = segment;
                    while (!rest.IsEmpty && !stop)
                    {
                        int allowed = limit is null ? rest.Length : await limit.TakeAsync(rest.Length, failed.Token).ConfigureAwait(false);
                        FlushResult flush = await to.WriteAsync(rest.Slice(0, allowed), failed.Token).ConfigureAwait(false);
                        rest = rest.Slice(allowed);
                        Interlocked.Add(ref counters[index], allowed);
                        if (serverIo)
                        {
                            Socks5Telemetry.CountServerIo(fromClient: index == 0, allowed);
                        }

                        stop = flush.IsCompleted || flush.IsCanceled; // nobody reads the other side any more
                    }

                    if (stop)
                    {
                        break;
                    }
                }

                from.AdvanceTo(buffer.End);
                // A canceled read (someone called CancelPendingRead before the relay began) is not an end: read again.
                if (stop || result.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (failed.IsCancellationRequested)
        {
            error = null; // stopped: by the caller, the idle timeout, or the other direction's failure
        }
        catch (Exception ex)
        {
            // A reset, a closed socket, or anything else (memory running out included): nothing more can flow.
            error = ex;
            Interlocked.CompareExchange(ref errors[0], ex, null);
            failed.Cancel();
        }
        finally
        {
            try
            {
                await from.CompleteAsync(error).ConfigureAwait(false);
                // Half-close: the other side learns that this direction is finished.
                await to.CompleteAsync(error).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                // Completing flushes what is left, which fails when that side is gone: the tunnel is over either way.
                Interlocked.CompareExchange(ref errors[0], ex, null);
                failed.Cancel();
            }
        }
    }
}
