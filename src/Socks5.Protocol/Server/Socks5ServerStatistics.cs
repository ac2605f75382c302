namespace Socks5.Protocol.Server;

/// <summary>Counters of a <see cref="Socks5Server"/>: a snapshot taken by <see cref="Socks5Server.Statistics"/>.</summary>
public readonly record struct Socks5ServerStatistics
{
    /// <summary>Connections accepted (or handed to <see cref="Socks5Server.HandleConnectionAsync"/>).</summary>
    public long Accepted { get; init; }

    /// <summary>Connections open now.</summary>
    public int Active { get; init; }

    /// <summary>
    /// Connections turned away by a limit: closed at once because <see cref="Socks5ServerOptions.MaxConnections"/> were
    /// open, or answered X'02' because their user had <see cref="Socks5ServerOptions.MaxConnectionsPerUser"/> open.
    /// </summary>
    public long Rejected { get; init; }

    /// <summary>Connections that ended without a successful request (handshake failures, refusals, errors).</summary>
    public long Failed { get; init; }

    /// <summary>UDP associations open now.</summary>
    public int UdpAssociations { get; init; }
}
