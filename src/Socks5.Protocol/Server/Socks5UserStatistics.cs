namespace Socks5.Protocol.Server;

/// <summary>
/// One authenticated user's counters, from <see cref="Socks5Server.GetUserStatistics"/>: a snapshot. Anonymous
/// connections (no RFC 1929 user) are in no user's counters.
/// </summary>
public sealed class Socks5UserStatistics
{
    /// <summary>The RFC 1929 user name.</summary>
    public string UserName { get; init; } = "";

    /// <summary>The user's connections open now (authenticated, not yet closed).</summary>
    public int ActiveConnections { get; init; }

    /// <summary>The user's connections served since the server was created (those refused for the user's limit not included).</summary>
    public long Connections { get; init; }

    /// <summary>The user's connections answered X'02' because <see cref="Socks5ServerOptions.MaxConnectionsPerUser"/> were open.</summary>
    public long RejectedConnections { get; init; }

    /// <summary>
    /// Tunnel bytes relayed from the user's clients: closed connections and the tunnels running now (CONNECT and BIND
    /// live; a UDP association's payload bytes once it has closed).
    /// </summary>
    public long BytesFromClients { get; init; }

    /// <summary>Tunnel bytes relayed to the user's clients, counted as <see cref="BytesFromClients"/> is.</summary>
    public long BytesToClients { get; init; }
}
