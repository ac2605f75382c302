using System;
using System.Threading;
using Socks5.Protocol.Internal;

namespace Socks5.Protocol.Transport;

/// <summary>
/// How many bytes of relay buffers larger than the smallest size may be held at once. A relay direction starts each burst
/// with a small buffer and doubles it while receives fill it; without a bound, a thousand bulk tunnels would ask for 2 GiB
/// (two directions of 1 MiB each) and a process with a heap limit would die of <see cref="OutOfMemoryException"/>. With
/// one, a direction whose doubling does not fit stays at the size it has: the tunnel moves smaller chunks (more CPU per
/// byte), it never fails for it. The smallest buffers are never charged: they are bounded by the connection limit.
/// </summary>
/// <remarks>
/// A direction holds a charge equal to its buffer's size while that is above the smallest size, and gives it back when
/// it falls back to the small buffer or ends, failures included. Only growing and falling back touch the counter (with
/// <see cref="Interlocked"/>), never a chunk.
/// </remarks>
internal sealed class RelayBufferBudget
{
    // A quarter of what the GC may use (the rest is for the smallest buffers, the sockets and the host), but no more
    // than 1 GiB: 512 tunnels with 1 MiB chunks both ways, more bulk tunnels than a machine's network usually feeds at
    // full speed at once.
    private const long Cap = 1L << 30;

    private long _inUse;
    private long _peak;

    /// <summary>A budget of <paramref name="limit"/> bytes.</summary>
    public RelayBufferBudget(long limit)
    {
        if (limit < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(limit), limit, $"RelayBufferBudget: {limit} is negative; it must be 0 (buffers never grow) or more, in bytes.");
        }

        Limit = limit;
    }

    /// <summary>The one budget of every server of the process that does not set its own, made on first use.</summary>
    public static RelayBufferBudget Shared { get; } = new(DefaultLimit(Platform.TotalAvailableMemoryBytes()));

    /// <summary>The most bytes that may be charged at once.</summary>
    public long Limit { get; }

    /// <summary>The bytes charged now.</summary>
    public long InUse => Volatile.Read(ref _inUse);

    /// <summary>The most bytes ever charged at once.</summary>
    public long Peak => Volatile.Read(ref _peak);

    /// <summary>The default limit for a process whose GC may use <paramref name="availableBytes"/> (unknown: 0 or less).</summary>
    public static long DefaultLimit(long availableBytes) => availableBytes <= 0 ? Cap : Math.Min(availableBytes / 4, Cap);

    /// <summary>Charges <paramref name="bytes"/> if they fit under the limit.</summary>
    /// <returns>False, charging nothing, when they do not.</returns>
    public bool TryCharge(long bytes)
    {
        long current = Volatile.Read(ref _inUse);
        while (true)
        {
            long next = current + bytes;
            if (next > Limit)
            {
                return false;
            }

            long seen = Interlocked.CompareExchange(ref _inUse, next, current);
            if (seen == current)
            {
                RaisePeak(next);
                return true;
            }

            current = seen;
        }
    }

    /// <summary>Gives back bytes charged before.</summary>
    public void Release(long bytes) => Interlocked.Add(ref _inUse, -bytes);

    private void RaisePeak(long value)
    {
        long peak = Volatile.Read(ref _peak);
        while (value > peak)
        {
            long seen = Interlocked.CompareExchange(ref _peak, value, peak);
            if (seen == peak)
            {
                return;
            }

            peak = seen;
        }
    }
}
