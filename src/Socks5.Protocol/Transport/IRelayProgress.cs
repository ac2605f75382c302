namespace Socks5.Protocol.Transport;

/// <summary>
/// A running relay's byte counters, read while it runs (a server's per-user statistics): the counters the relay keeps
/// for its result anyway, so reading them live costs the tunnel nothing.
/// </summary>
internal interface IRelayProgress
{
    /// <summary>Bytes moved from the first side to the second so far.</summary>
    long BytesFromFirst { get; }

    /// <summary>Bytes moved from the second side to the first so far.</summary>
    long BytesFromSecond { get; }
}
