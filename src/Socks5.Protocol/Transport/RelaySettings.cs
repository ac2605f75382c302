using System;
using System.Buffers;
using System.Threading;

namespace Socks5.Protocol.Transport;

/// <summary>
/// How a relay runs, apart from its two sides and its rate limits: one per server (made from its options), the defaults
/// for the public <see cref="Socks5Relay"/> overloads, or one made for a test.
/// </summary>
internal sealed class RelaySettings
{
    /// <summary>How long the tunnel may be silent both ways; <see cref="Timeout.InfiniteTimeSpan"/> for no limit.</summary>
    public TimeSpan IdleTimeout { get; init; } = Timeout.InfiniteTimeSpan;

    /// <summary>How long the tunnel stays open once one direction has finished; <see cref="Timeout.InfiniteTimeSpan"/> for no limit.</summary>
    public TimeSpan HalfCloseTimeout { get; init; } = Timeout.InfiniteTimeSpan;

    /// <summary>Where the socket relay rents each direction's buffer while data flows (tests make rents fail).</summary>
    public ArrayPool<byte> Pool { get; init; } = ArrayPool<byte>.Shared;

    /// <summary>What the socket relay's buffers above the smallest size are charged to.</summary>
    public RelayBufferBudget Budget { get; init; } = RelayBufferBudget.Shared;

    /// <summary>The clock of the timeouts and the rate limits.</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>A server's tunnel, the client first: chunks go to <c>socks5.server.io</c> while it is listened to.</summary>
    public bool ServerIo { get; init; }

    /// <summary>
    /// Whether the socket relay splices bulk bursts where it can (Linux); by default only with the AppContext switch
    /// <c>Socks5.Protocol.Relay.EnableSplice</c>. Tests set it either way.
    /// </summary>
#if NET
    public bool Splice { get; init; } = LinuxSplice.IsEnabledByDefault;
#else
    public bool Splice { get; init; }
#endif
}
