using System;
using System.Threading;
using System.Threading.Tasks;
using System.Net;
using System.Net.Sockets;
using Socks5.Protocol.Server;

namespace Socks5.Protocol.Extensions.Hosting;

/// <summary>
/// Checks RFC 1929 credentials. Registered as a service, <c>AddSocks5Server</c> uses it as
/// <see cref="Socks5ServerOptions.ValidateCredentials"/> (unless the options set one), so it decides instead of
/// <see cref="Socks5ServerOptions.Users"/>.
/// </summary>
public interface ISocks5CredentialValidator
{
    /// <summary>Whether <paramref name="userName"/> and <paramref name="password"/> are valid; compare in constant time.</summary>
    /// <param name="userName">The UNAME the client sent.</param>
    /// <param name="password">The PASSWD the client sent.</param>
    /// <param name="cancellationToken">Cancelled when the connection or the server ends.</param>
    /// <returns>True to accept the client.</returns>
    ValueTask<bool> ValidateAsync(string userName, string password, CancellationToken cancellationToken);
}

/// <summary>
/// Decides whether a request may go ahead, on the resolved destination. Registered as a service, <c>AddSocks5Server</c>
/// uses it as <see cref="Socks5ServerOptions.AccessRule"/> (unless the options set one).
/// </summary>
public interface ISocks5AccessRule
{
    /// <summary>Whether <paramref name="request"/> is allowed; false sends "not allowed by ruleset".</summary>
    /// <param name="request">The client, the user, the command and the resolved destination.</param>
    /// <param name="cancellationToken">Cancelled when the connection or the server ends.</param>
    /// <returns>True to allow the request.</returns>
    ValueTask<bool> IsAllowedAsync(Socks5AccessRequest request, CancellationToken cancellationToken);
}

/// <summary>
/// Resolves the host names clients send. Registered as a service, <c>AddSocks5Server</c> uses it as
/// <see cref="Socks5ServerOptions.Resolver"/> (unless the options set one).
/// </summary>
public interface ISocks5Resolver
{
    /// <summary>The addresses of <paramref name="host"/>; none when the name does not resolve.</summary>
    /// <param name="host">The name from the request.</param>
    /// <param name="cancellationToken">Cancelled when the connection or the server ends, or the connect time is over.</param>
    /// <returns>The addresses, in the order to try them.</returns>
    ValueTask<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken);
}

/// <summary>
/// Opens the outgoing connection of a CONNECT. Registered as a service, <c>AddSocks5Server</c> uses it as
/// <see cref="Socks5ServerOptions.Dialer"/> (unless the options set one); it must connect to exactly
/// the destination it is given, the address the access rule checked.
/// </summary>
public interface ISocks5Dialer
{
    /// <summary>A connected socket to <paramref name="destination"/>.</summary>
    /// <param name="destination">The checked destination.</param>
    /// <param name="cancellationToken">Cancelled when the connect time is over or the server ends.</param>
    /// <returns>The connected socket; the server owns it from then on.</returns>
    ValueTask<Socket> DialAsync(IPEndPoint destination, CancellationToken cancellationToken);
}
