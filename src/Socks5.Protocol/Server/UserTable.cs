using System;
using System.Collections.Generic;
using System.Threading;
using Socks5.Protocol.Transport;

namespace Socks5.Protocol.Server;

/// <summary>
/// The server's per-user state: how many connections each authenticated user has open (for
/// <see cref="Socks5ServerOptions.MaxConnectionsPerUser"/>), the bytes of their tunnels (closed ones summed, running ones
/// read live from their relays) and their shared rate limits. One entry per user name that ever authenticated, kept for
/// the server's life: the names are the host's own users (<see cref="Socks5ServerOptions.Users"/> or those its
/// <see cref="Socks5ServerOptions.ValidateCredentials"/> accepts), so the table is as large as the user list and no
/// larger. Anonymous connections have no entry: a client cannot grow the table without valid credentials.
/// </summary>
/// <remarks>
/// One lock for the whole table: it is taken twice per authenticated connection (authentication, end) and per statistics
/// snapshot, never per chunk.
/// </remarks>
internal sealed class UserTable
{
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly int _maxConnections; // 0: no limit
    private readonly long _bytesPerSecond; // 0: no limit
    private readonly TimeProvider _clock;

    public UserTable(Socks5ServerOptions options)
    {
        _maxConnections = options.MaxConnectionsPerUser;
        _bytesPerSecond = options.MaxBytesPerSecondPerUser;
        _clock = options.TimeProvider;
    }

    /// <summary>
    /// Counts a connection of <paramref name="user"/> in, or returns null when the user already has
    /// <see cref="Socks5ServerOptions.MaxConnectionsPerUser"/> open (counted as the user's rejection). A slot returned
    /// must be handed to <see cref="Exit"/> once, whatever becomes of the connection.
    /// </summary>
    public Slot? TryEnter(string user)
    {
        lock (_entries)
        {
            if (!_entries.TryGetValue(user, out Entry? entry))
            {
                entry = new Entry(user, Limiter(), Limiter());
                _entries.Add(user, entry);
            }

            if (_maxConnections > 0 && entry.Active >= _maxConnections)
            {
                entry.Rejected++;
                return null;
            }

            entry.Active++;
            entry.Connections++;
            var slot = new Slot(entry);
            entry.Live.Add(slot);
            return slot;
        }
    }

    /// <summary>The rate limits of one anonymous connection (its own, as it has no user to share them with), or nulls.</summary>
    public (ByteRateLimiter? FromClient, ByteRateLimiter? ToClient) AnonymousLimits() => (Limiter(), Limiter());

    /// <summary>The connection is over: its slot is free and its bytes move to the user's closed totals.</summary>
    /// <param name="slot">What <see cref="TryEnter"/> returned.</param>
    /// <param name="fromClient">The connection's bytes from the client when it had no tunnel (UDP).</param>
    /// <param name="toClient">The connection's bytes to the client when it had no tunnel (UDP).</param>
    public void Exit(Slot slot, long fromClient, long toClient)
    {
        Entry entry = slot.Entry;
        lock (_entries)
        {
            entry.Live.Remove(slot);
            if (slot.Tunnel is { } tunnel)
            {
                // The relay's own counters: the same numbers as its result, and there even if that was never read.
                fromClient = tunnel.BytesFromFirst;
                toClient = tunnel.BytesFromSecond;
            }

            entry.Active--;
            entry.FromClients += fromClient;
            entry.ToClients += toClient;
        }
    }

    /// <summary>Every user's counters now, by name.</summary>
    public List<Socks5UserStatistics> Snapshot()
    {
        lock (_entries)
        {
            var list = new List<Socks5UserStatistics>(_entries.Count);
            foreach (Entry entry in _entries.Values)
            {
                long fromClients = entry.FromClients;
                long toClients = entry.ToClients;
                foreach (Slot slot in entry.Live)
                {
                    if (slot.Tunnel is { } tunnel)
                    {
                        fromClients += tunnel.BytesFromFirst;
                        toClients += tunnel.BytesFromSecond;
                    }
                }

                list.Add(new Socks5UserStatistics
                {
                    UserName = entry.Name,
                    ActiveConnections = entry.Active,
                    Connections = entry.Connections,
                    RejectedConnections = entry.Rejected,
                    BytesFromClients = fromClients,
                    BytesToClients = toClients,
                });
            }

            list.Sort(static (a, b) => string.CompareOrdinal(a.UserName, b.UserName));
            return list;
        }
    }

    private ByteRateLimiter? Limiter() => _bytesPerSecond > 0 ? new ByteRateLimiter(_bytesPerSecond, _clock) : null;

    /// <summary>One open connection of a user: its tunnel, once running, is read live by the statistics.</summary>
    internal sealed class Slot
    {
        private IRelayProgress? _tunnel;

        public Slot(Entry entry) => Entry = entry;

        public Entry Entry { get; }

        /// <summary>Set once by the connection when its relay starts (outside the table's lock, hence volatile).</summary>
        public IRelayProgress? Tunnel
        {
            get => Volatile.Read(ref _tunnel);
            set => Volatile.Write(ref _tunnel, value);
        }
    }

    /// <summary>One user's state; its fields are guarded by the table's lock, the limiters are shared by their tunnels.</summary>
    internal sealed class Entry
    {
        public Entry(string name, ByteRateLimiter? fromClients, ByteRateLimiter? toClients)
        {
            Name = name;
            FromClientsLimit = fromClients;
            ToClientsLimit = toClients;
        }

        public string Name { get; }

        public ByteRateLimiter? FromClientsLimit { get; }

        public ByteRateLimiter? ToClientsLimit { get; }

        public List<Slot> Live { get; } = new(); // the open connections' slots

        public int Active { get; set; }

        public long Connections { get; set; }

        public long Rejected { get; set; }

        public long FromClients { get; set; }

        public long ToClients { get; set; }
    }
}
