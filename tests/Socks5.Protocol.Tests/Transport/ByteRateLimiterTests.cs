using Socks5.Protocol.Tests.Server;
using Socks5.Protocol.Transport;
using Xunit;

namespace Socks5.Protocol.Tests.Transport;

/// <summary>The relays' token bucket, on a clock moved by hand.</summary>
public class ByteRateLimiterTests
{
    [Fact]
    public void It_starts_with_a_seconds_worth_refills_with_the_clock_and_takes_back_what_was_not_used()
    {
        var clock = new ManualTimeProvider();
        var limiter = new ByteRateLimiter(1000, clock);

        Assert.Equal(1000, limiter.TryTake(5000));
        Assert.Equal(0, limiter.TryTake(5000));

        clock.Advance(TimeSpan.FromMilliseconds(250));
        Assert.Equal(250, limiter.TryTake(5000));

        limiter.Refund(100);
        Assert.Equal(60, limiter.TryTake(60));
        Assert.Equal(40, limiter.TryTake(5000));

        clock.Advance(TimeSpan.FromHours(1)); // never more than a second's worth
        Assert.Equal(1000, limiter.TryTake(5000));
    }

    [Fact]
    public async Task TakeAsync_on_an_empty_bucket_waits_on_the_clock_for_a_seconds_worth_or_what_was_asked()
    {
        var clock = new ManualTimeProvider();
        var limiter = new ByteRateLimiter(1000, clock);
        Assert.Equal(1000, limiter.TryTake(1000));

        ValueTask<int> large = limiter.TakeAsync(64 * 1024, CancellationToken.None);
        clock.Advance(TimeSpan.FromMilliseconds(999));
        Assert.False(large.IsCompleted); // not a trickle: it waits for a fair chunk
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(1000, await large.AsTask().WaitAsync(TimeSpan.FromSeconds(10)));

        ValueTask<int> small = limiter.TakeAsync(100, CancellationToken.None);
        clock.Advance(TimeSpan.FromMilliseconds(100));
        Assert.Equal(100, await small.AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task TakeAsync_ends_when_cancelled()
    {
        var clock = new ManualTimeProvider();
        var limiter = new ByteRateLimiter(1000, clock);
        limiter.TryTake(1000);
        using var stop = new CancellationTokenSource();

        ValueTask<int> waiting = limiter.TakeAsync(1000, stop.Token);
        stop.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
    }
}
