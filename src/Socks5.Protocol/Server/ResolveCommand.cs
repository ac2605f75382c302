using System;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Socks5.Protocol.Transport;
using Socks5.Protocol.Wire;

namespace Socks5.Protocol.Server;

/// <summary>
/// Tor's RESOLVE (X'F0') and RESOLVE_PTR (X'F1'): a name looked up, or an address named, by the server, the answer in
/// the reply's BND.ADDR (port 0), then the connection closes. What may be revealed is what the server may reach: RESOLVE
/// answers only with an address the egress policy and access rule allow (the same check as a CONNECT: X'02' when every
/// address is refused), RESOLVE_PTR names only an address the egress policy allows (X'02' otherwise).
/// </summary>
internal static class ResolveCommand
{
    /// <summary>Serves a RESOLVE; SOCKS4a answers with an IPv4 address only (its reply has no room for another).</summary>
    public static async Task<Task<RelayResult>?> ResolveAsync(Socks5ServerConnection connection, RequestInfo request, CancellationToken cancellationToken)
    {
        (IPEndPoint[] allowed, ReplyCode failure) = await connection.Server.Policy.AllowedAsync(connection, request, cancellationToken).ConfigureAwait(false);
        IPEndPoint? answer = connection.Protocol == InboundProtocol.Socks5
            ? allowed.FirstOrDefault()
            : allowed.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork);
        if (answer is null && allowed.Length > 0)
        {
            failure = ReplyCode.AddressTypeNotSupported; // only IPv6 for a SOCKS4a client
        }

        await connection.ReplyAsync(answer is null ? failure : ReplyCode.Succeeded, answer is null ? null : new IPEndPoint(answer.Address, 0), cancellationToken).ConfigureAwait(false);
        return null;
    }

    /// <summary>Serves a RESOLVE_PTR (SOCKS5 only: a SOCKS4 reply cannot carry a name).</summary>
    public static async Task<Task<RelayResult>?> ResolvePtrAsync(Socks5ServerConnection connection, RequestInfo request, CancellationToken cancellationToken)
    {
        Socks5Server server = connection.Server;
        if (request.Address is not { } address)
        {
            await connection.ReplyAsync(ReplyCode.AddressTypeNotSupported, null, cancellationToken).ConfigureAwait(false);
            return null;
        }

        if (!server.Policy.IsEgressAllowed(Internal.IPAddresses.Unmap(address), connection.LocalEndPoint))
        {
            await connection.ReplyAsync(ReplyCode.ConnectionNotAllowed, null, cancellationToken).ConfigureAwait(false);
            return null;
        }

        string? name = await ReverseAsync(server.Options, address, cancellationToken).ConfigureAwait(false);
        bool fits = name is { Length: > 0 } && Encoding.UTF8.GetByteCount(name) <= Socks5EndPoint.MaxDomainNameLength;
        await connection.ReplyAsync(fits ? ReplyCode.Succeeded : ReplyCode.HostUnreachable, fits ? new DnsEndPoint(name!, 0) : null, cancellationToken).ConfigureAwait(false);
        return null;
    }

    // The host's reverse resolver, or the system's; a lookup that fails is "no name".
    private static async ValueTask<string?> ReverseAsync(Socks5ServerOptions options, IPAddress address, CancellationToken cancellationToken)
    {
        try
        {
            if (options.ReverseResolver is { } reverse)
            {
                return await reverse(address, cancellationToken).ConfigureAwait(false);
            }

            return (await Dns.GetHostEntryAsync(address).ConfigureAwait(false)).HostName;
        }
        catch (Exception ex) when (ex is SocketException or ArgumentException)
        {
            return null;
        }
    }
}
