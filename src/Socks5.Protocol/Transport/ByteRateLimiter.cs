using System;
using System.Threading;
using System.Threading.Tasks;
using Socks5.Protocol.Internal;

namespace Socks5.Protocol.Transport;

/// <summary>
/// A token bucket of bytes: it fills at <c>bytesPerSecond</c> up to one second's worth and starts full, so a tunnel may
/// send a second's worth at once and then the rate on average. One limiter may be shared by several tunnel directions
/// (a user's): each takes what is there, none waits holding a buffer (the relays take before they rent).
/// </summary>
/// <remarks>
/// A lock, not interlocked arithmetic: the refill reads the clock and the amount depends on it, and the lock is only
/// taken by limited tunnels, once per chunk. An unlimited tunnel has no limiter at all (one null test per chunk). The lock
/// is the limiter itself (internal, nobody else locks it): no object more per limited tunnel.
/// </remarks>
internal sealed class ByteRateLimiter
{
    private readonly TimeProvider _clock;
    private readonly double _rate; // bytes per second
    private readonly double _capacity;
    private double _tokens;
    private long _refilled; // the clock's timestamp of the last refill

    /// <param name="bytesPerSecond">The rate, more than zero.</param>
    /// <param name="clock">The clock the bucket fills on and waits on.</param>
    public ByteRateLimiter(long bytesPerSecond, TimeProvider clock)
    {
        if (bytesPerSecond <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(bytesPerSecond), bytesPerSecond, "The rate is more than zero.");
        }

        _clock = clock;
        _rate = bytesPerSecond;
        _capacity = bytesPerSecond;
        _tokens = _capacity;
        _refilled = clock.GetTimestamp();
    }

    /// <summary>Takes up to <paramref name="wanted"/> bytes if any are there; 0 when the bucket is empty.</summary>
    public int TryTake(int wanted)
    {
        lock (this)
        {
            Refill();
            int taken = (int)Math.Min(wanted, Math.Floor(_tokens));
            if (taken > 0)
            {
                _tokens -= taken;
            }

            return Math.Max(taken, 0);
        }
    }

    /// <summary>
    /// Takes between 1 and <paramref name="wanted"/> bytes, waiting on the clock while the bucket is empty: until it
    /// holds <paramref name="wanted"/> bytes or a second's worth, whichever is less, so that a slow rate moves chunks of
    /// a fair size rather than a byte at a time.
    /// </summary>
    public async ValueTask<int> TakeAsync(int wanted, CancellationToken cancellationToken)
    {
        while (true)
        {
            TimeSpan wait;
            lock (this)
            {
                Refill();
                double enough = Math.Min(wanted, _capacity);
                if (_tokens >= enough)
                {
                    int taken = (int)Math.Min(wanted, Math.Floor(_tokens));
                    _tokens -= taken;
                    return taken;
                }

                // Rounded up to a whole millisecond (at least one): the clock's timers are no finer.
                wait = TimeSpan.FromMilliseconds(Math.Max(1, Math.Ceiling((enough - _tokens) * 1000 / _rate)));
            }

            await _clock.DelayAsync(wait, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Gives back bytes taken but not moved (a receive that found fewer than allowed).</summary>
    public void Refund(int bytes)
    {
        if (bytes <= 0)
        {
            return;
        }

        lock (this)
        {
            _tokens = Math.Min(_capacity, _tokens + bytes);
        }
    }

    private void Refill()
    {
        long now = _clock.GetTimestamp();
        double seconds = (now - _refilled) / (double)_clock.TimestampFrequency;
        _refilled = now;
        if (seconds > 0)
        {
            _tokens = Math.Min(_capacity, _tokens + seconds * _rate);
        }
    }
}
