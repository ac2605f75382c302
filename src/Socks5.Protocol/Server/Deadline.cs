using System;
using System.Threading;
using System.Threading.Tasks;
using Socks5.Protocol.Internal;

namespace Socks5.Protocol.Server;

/// <summary>
/// A timeout on <see cref="Socks5ServerOptions.TimeProvider"/>: a token that is cancelled when the caller's token is, or
/// when the time is up. Dispose it when the guarded work is over.
/// </summary>
internal readonly struct Deadline : IDisposable
{
    private readonly CancellationTokenSource _source;
    private readonly ITimer? _timer;
    private readonly CancellationToken _outer;

    private Deadline(CancellationTokenSource source, ITimer? timer, CancellationToken outer)
    {
        _source = source;
        _timer = timer;
        _outer = outer;
    }

    /// <summary>Cancelled by the caller's token or by the timeout.</summary>
    public CancellationToken Token => _source.Token;

    /// <summary>True when the time ran out (and not the caller's token).</summary>
    public bool Expired => _source.IsCancellationRequested && !_outer.IsCancellationRequested;

    /// <summary>Starts the clock.</summary>
    /// <param name="clock">The server's clock.</param>
    /// <param name="timeout">How long; <see cref="Timeout.InfiniteTimeSpan"/> for no limit.</param>
    /// <param name="cancellationToken">The caller's token.</param>
    public static Deadline Start(TimeProvider clock, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (clock == TimeProvider.System)
        {
            // The source's own timer: nothing more to allocate on the path every connection takes.
            source.CancelAfter(timeout);
            return new Deadline(source, null, cancellationToken);
        }

        ITimer timer = clock.CreateTimer(static s => Cancel((CancellationTokenSource)s!), source, timeout, Timeout.InfiniteTimeSpan);
        return new Deadline(source, timer, cancellationToken);
    }

    /// <summary>A delay on <paramref name="clock"/>.</summary>
    public static Task DelayAsync(TimeProvider clock, TimeSpan delay, CancellationToken cancellationToken) =>
        clock.DelayAsync(delay, cancellationToken);

    public void Dispose()
    {
        _timer?.Dispose();
        _source.Dispose();
    }

    private static void Cancel(CancellationTokenSource source)
    {
        try
        {
            source.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The timer fired as the guarded work ended.
        }
    }
}
