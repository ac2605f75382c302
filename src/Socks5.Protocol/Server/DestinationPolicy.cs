using System.Collections.Generic;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using System;
using Socks5.Protocol.Internal;
using Socks5.Protocol.Wire;

namespace Socks5.Protocol.Server;

/// <summary>
/// Which addresses a request may use, for every command alike: DST.ADDR resolved, then the server's own checks, then the
/// host's access rule. What it allows is exactly what is dialed, sent to, or taken a peer from. One per server.
/// </summary>
internal sealed class DestinationPolicy
{
    private readonly Socks5ServerOptions _options;
    private readonly EgressRules? _egress; // null: Socks5ServerOptions.Egress refuses nothing
    private IPEndPoint[] _listening = Array.Empty<IPEndPoint>(); // the accept loops' end points, unmapped

    public DestinationPolicy(Socks5ServerOptions options, EgressRules? egress = null)
    {
        _options = options;
        _egress = egress;
    }

    /// <summary>Tells the policy where the accept loops listen (not IPv4-mapped), for the self-connect check.</summary>
    public void SetListening(IPEndPoint[] listening) => Volatile.Write(ref _listening, listening);

    /// <summary>
    /// DST.ADDR's addresses with DST.PORT, those the check allows: for CONNECT what may be dialed, in order; for BIND where
    /// the peer may come from (RFC 1928: the server uses DST.ADDR in evaluating the BIND), where 0.0.0.0 or :: stands for
    /// any peer and so only the rule judges it. When none is left, the failure is the reply the client is owed.
    /// </summary>
    public async Task<(IPEndPoint[] Allowed, ReplyCode Failure)> AllowedAsync(Socks5ServerConnection connection, RequestInfo request, CancellationToken cancellationToken)
    {
        IPAddress[] addresses = await AddressesOfAsync(request, cancellationToken).ConfigureAwait(false);
        if (addresses.Length == 0)
        {
            return (Array.Empty<IPEndPoint>(), ReplyCode.HostUnreachable);
        }

        var allowed = new List<IPEndPoint>(addresses.Length);
        foreach (IPAddress address in addresses)
        {
            var candidate = new IPEndPoint(IPAddresses.Unmap(address), request.Port);
            // BIND names where the peer will come from; 0.0.0.0 or :: (any peer) leaves the judgement to the peer's check.
            bool allow = request.Command == Command.Bind
                ? (IPAddresses.IsUnspecified(candidate.Address)
                    ? await IsAllowedByRuleAsync(connection, request.Command, request.Host, candidate, cancellationToken).ConfigureAwait(false)
                    : await IsPeerAllowedAsync(connection, request.Command, request.Host, candidate, cancellationToken).ConfigureAwait(false))
                : await IsAllowedAsync(connection, request.Command, request.Host, candidate, cancellationToken).ConfigureAwait(false);
            if (allow)
            {
                allowed.Add(candidate);
            }
        }

        return (allowed.ToArray(), allowed.Count == 0 ? ReplyCode.ConnectionNotAllowed : ReplyCode.GeneralFailure);
    }

    /// <summary>
    /// The one check before the server dials an address or sends a datagram to it (a BIND peer has its own, below): never an
    /// unspecified address (0.0.0.0 and :: reach this machine), never one of the server's own listeners unless the host
    /// allows it (a client could have the server connect to itself over and over), never one the egress policy refuses,
    /// then the host's access rule.
    /// </summary>
    /// <param name="connection">Who asks: the client, its user, and where it came in.</param>
    /// <param name="command">The request's command, for the rule.</param>
    /// <param name="host">DST.ADDR as the client sent it, for the rule.</param>
    /// <param name="destination">The address, IPv4-mapped ones already as IPv4: what is checked is what is used.</param>
    /// <param name="cancellationToken">Passed to the rule.</param>
    public ValueTask<bool> IsAllowedAsync(Socks5ServerConnection connection, Command command, string host, IPEndPoint destination, CancellationToken cancellationToken) =>
        IPAddresses.IsUnspecified(destination.Address)
        || (!_options.AllowSelfConnect && IsOwnEndPoint(destination, connection.LocalEndPoint))
        || !IsEgressAllowed(destination.Address, connection.LocalEndPoint)
            ? new ValueTask<bool>(false)
            : IsAllowedByRuleAsync(connection, command, host, destination, cancellationToken);

    /// <summary>
    /// The check of a BIND peer, the address it connects from (or the one the client named for it): the egress policy,
    /// then the host's access rule. Not the self-connect check: a peer connects to the server, it is never the server
    /// dialing itself, and its source port is the kernel's choice, which may equal a port the server listens on.
    /// </summary>
    public ValueTask<bool> IsPeerAllowedAsync(Socks5ServerConnection connection, Command command, string host, IPEndPoint peer, CancellationToken cancellationToken) =>
        !IsEgressAllowed(peer.Address, connection.LocalEndPoint)
            ? new ValueTask<bool>(false)
            : IsAllowedByRuleAsync(connection, command, host, peer, cancellationToken);

    /// <summary>
    /// Whether <see cref="Socks5ServerOptions.Egress"/> lets <paramref name="address"/> (not IPv4-mapped) be used; with the
    /// preset, not an address this server listens on (<paramref name="local"/>, where a connection came in, included).
    /// </summary>
    public bool IsEgressAllowed(IPAddress address, EndPoint? local) =>
        _egress is not { } egress || (egress.IsAllowed(address) && !(egress.DeniesThisMachine && IsListenAddress(address, local)));

    // An address a listener takes connections on: its own, or any of the machine's for a wildcard listener.
    private bool IsListenAddress(IPAddress address, EndPoint? local)
    {
        bool wildcard = false;
        foreach (IPEndPoint endPoint in Volatile.Read(ref _listening))
        {
            if (endPoint.Address.Equals(address))
            {
                return true;
            }
            wildcard |= IPAddresses.IsUnspecified(endPoint.Address);
        }

        return (local is IPEndPoint came && IPAddresses.Unmap(came).Address.Equals(address))
            || (wildcard && MachineAddresses.Contains(address));
    }

    /// <summary>Resolves a name with <see cref="Socks5ServerOptions.Resolver"/>, or the system resolver.</summary>
    public async ValueTask<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken)
    {
        if (_options.Resolver is { } resolve)
        {
            return await resolve(host, cancellationToken).ConfigureAwait(false) ?? Array.Empty<IPAddress>();
        }
        return await Platform.GetHostAddressesAsync(host, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Whether <paramref name="destination"/> (not IPv4-mapped) reaches one of this server's listeners: a port the accept
    /// loops listen on, or the port of <paramref name="local"/> (where a host-accepted connection came in), on an address
    /// of this machine. A listener on 0.0.0.0 or :: takes every address of the machine, and loopback reaches one on any
    /// of them, so every local address with that port counts, not only the listener's own.
    /// </summary>
    internal bool IsOwnEndPoint(IPEndPoint destination, EndPoint? local)
    {
        int port = destination.Port;
        var came = local as IPEndPoint;
        bool listened = came?.Port == port;
        IPEndPoint[] listening = Volatile.Read(ref _listening);
        foreach (IPEndPoint endPoint in listening)
        {
            listened |= endPoint.Port == port;
        }

        if (!listened)
        {
            return false; // the common case, decided without a look at the address
        }

        IPAddress address = destination.Address;
        if (came is not null && came.Port == port && IPAddresses.Unmap(came).Address.Equals(address))
        {
            return true;
        }

        foreach (IPEndPoint endPoint in listening)
        {
            if (endPoint.Port == port && endPoint.Address.Equals(address))
            {
                return true;
            }
        }

        return MachineAddresses.Contains(address);
    }

    // DST.ADDR as addresses: the literal, or what the name resolves to (empty when it does not resolve).
    private async ValueTask<IPAddress[]> AddressesOfAsync(RequestInfo request, CancellationToken cancellationToken)
    {
        if (request.Address is { } literal)
        {
            return new[] { literal };
        }

        try
        {
            return await ResolveAsync(request.Host, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // SocketException (no such name) and ArgumentException (a name the resolver cannot take) alike.
            return Array.Empty<IPAddress>();
        }
    }

    private async ValueTask<bool> IsAllowedByRuleAsync(Socks5ServerConnection connection, Command command, string host, IPEndPoint destination, CancellationToken cancellationToken) =>
        _options.AccessRule is not { } rule
        || await rule(new Socks5AccessRequest
        {
            Client = connection.RemoteEndPoint,
            UserName = connection.UserName,
            Protocol = connection.Protocol,
            Command = command,
            RequestedHost = host,
            Destination = destination,
        }, cancellationToken).ConfigureAwait(false);
}
