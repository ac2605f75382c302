using System;
using System.IO;
using System.IO.Pipelines;
using System.Threading;
using System.Threading.Tasks;

namespace Socks5.Protocol.Pipelines;

/// <summary>The bytes a finished relay moved each way.</summary>
/// <param name="BytesFromFirst">Bytes read from the first pipe and written to the second (client to target, for a server).</param>
/// <param name="BytesFromSecond">Bytes read from the second pipe and written to the first.</param>
public readonly record struct RelayResult(long BytesFromFirst, long BytesFromSecond);

/// <summary>
/// Joins two pipes after a handshake: both directions at once, with half-close passed through (when one side's input ends,
/// the other side's output is completed, which a <see cref="SocketPipe"/> turns into a FIN, while the reverse direction goes
/// on), backpressure from the pipes, and nothing lost.
/// </summary>
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
    public static async Task<RelayResult> RunAsync(IDuplexPipe first, IDuplexPipe second, CancellationToken cancellationToken = default)
    {
        if (first is null)
        {
            throw new ArgumentNullException(nameof(first));
        }

        if (second is null)
        {
            throw new ArgumentNullException(nameof(second));
        }

        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var counters = new long[2];
        Task forward = CopyAsync(first.Input, second.Output, counters, 0, failed);
        Task backward = CopyAsync(second.Input, first.Output, counters, 1, failed);
        await Task.WhenAll(forward, backward).ConfigureAwait(false);
        return new RelayResult(Volatile.Read(ref counters[0]), Volatile.Read(ref counters[1]));
    }

    private static async Task CopyAsync(PipeReader from, PipeWriter to, long[] counters, int index, CancellationTokenSource failed)
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
                    FlushResult flush = await to.WriteAsync(segment, failed.Token).ConfigureAwait(false);
                    Interlocked.Add(ref counters[index], segment.Length);
                    if (flush.IsCompleted || flush.IsCanceled)
                    {
                        stop = true; // nobody reads the other side any more
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
        catch (OperationCanceledException)
        {
            error = null;
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or System.Net.Sockets.SocketException or InvalidOperationException)
        {
            // A reset or a closed socket: stop the other direction too, nothing more can flow.
            error = ex;
            failed.Cancel();
        }
        finally
        {
            await from.CompleteAsync(error).ConfigureAwait(false);
            // Half-close: the other side learns that this direction is finished.
            await to.CompleteAsync(error).ConfigureAwait(false);
        }
    }
}
