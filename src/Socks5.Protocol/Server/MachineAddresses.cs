using System.Collections.Generic;
using System.Diagnostics;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Net;
using System.Threading;
using System;
using Socks5.Protocol.Internal;

namespace Socks5.Protocol.Server;

/// <summary>
/// Whether an address belongs to this machine: loopback, or an address of one of its network interfaces. The interface
/// addresses are read at most once a second, and only when asked (a CONNECT to one of the server's own ports, or an
/// access rule that reads <see cref="Socks5AccessRequest.IsLocalDestination"/>).
/// </summary>
internal static class MachineAddresses
{
    private static Snapshot? _snapshot;
    private static int _refreshing;

    /// <summary>True for 127.0.0.0/8, ::1, their IPv4-mapped forms, and every interface address (any scope).</summary>
    public static bool Contains(IPAddress address)
    {
        address = IPAddresses.Unmap(address);

        if (IPAddress.IsLoopback(address))
        {
            return true;
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6 && address.ScopeId != 0)
        {
            address = new IPAddress(address.GetAddressBytes()); // the set holds addresses without their scope
        }

        return Current().Addresses.Contains(address);
    }

    private static Snapshot Current()
    {
        long now = Stopwatch.GetTimestamp();
        Snapshot? snapshot = Volatile.Read(ref _snapshot);
        if (snapshot is not null && (now - snapshot.Taken < Stopwatch.Frequency || Interlocked.Exchange(ref _refreshing, 1) != 0))
        {
            return snapshot; // fresh, or another thread is reading the new one: this one will do meanwhile
        }

        try
        {
            snapshot = new Snapshot(Read(), now);
            Volatile.Write(ref _snapshot, snapshot);
            return snapshot;
        }
        finally
        {
            Volatile.Write(ref _refreshing, 0);
        }
    }

    private static HashSet<IPAddress> Read()
    {
        var addresses = new HashSet<IPAddress>();
        try
        {
            foreach (NetworkInterface networkInterface in NetworkInterface.GetAllNetworkInterfaces())
            {
                foreach (UnicastIPAddressInformation unicast in networkInterface.GetIPProperties().UnicastAddresses)
                {
                    IPAddress address = unicast.Address;
                    bool scoped = address.AddressFamily == AddressFamily.InterNetworkV6 && address.ScopeId != 0;
                    addresses.Add(scoped ? new IPAddress(address.GetAddressBytes()) : address);
                }
            }
        }
        catch (Exception ex) when (ex is NetworkInformationException or PlatformNotSupportedException or SocketException)
        {
            // No interface list on this platform: loopback is all that is known.
        }

        return addresses;
    }

    private sealed class Snapshot
    {
        public Snapshot(HashSet<IPAddress> addresses, long taken)
        {
            Addresses = addresses;
            Taken = taken;
        }

        public HashSet<IPAddress> Addresses { get; }

        public long Taken { get; }
    }
}
