using System;
using System.Net;
using Socks5.Protocol.Engine;
using Socks5.Protocol.Wire;

namespace Socks5.Protocol.Client;

/// <summary>
/// An exchange with the proxy failed: the proxy refused the request (<see cref="ReplyCode"/> holds REP, kept raw even when it is not
/// one RFC 1928 names; <see cref="Socks4ReplyCode"/> or <see cref="HttpStatusCode"/> for the other protocols), rejected the credentials, picked a method that was not offered, sent something malformed, closed the
/// connection early, named an address the client cannot use (<see cref="BoundAddress"/>), or could not be reached at all.
/// Text the proxy sent (a domain name may hold any byte) is escaped in <see cref="Exception.Message"/>.
/// </summary>
public sealed class Socks5Exception : Exception
{
    /// <summary>Creates an exception with a generic message.</summary>
    public Socks5Exception()
        : this("The SOCKS5 exchange failed.")
    {
    }

    /// <summary>Creates an exception with a message.</summary>
    /// <param name="message">What went wrong.</param>
    public Socks5Exception(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and its cause.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause.</param>
    public Socks5Exception(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates an exception that says where the handshake failed.</summary>
    /// <param name="message">What went wrong, for people.</param>
    /// <param name="failure">Why the handshake stopped.</param>
    /// <param name="replyCode">REP of the proxy's failure reply, when one (or its first two bytes) arrived.</param>
    /// <param name="proxy">The proxy, when known.</param>
    /// <param name="destination">The destination the client asked for (see <see cref="Destination"/>).</param>
    /// <param name="innerException">The cause, for transport failures.</param>
    public Socks5Exception(string message, HandshakeFailure failure, ReplyCode? replyCode, EndPoint? proxy, EndPoint? destination, Exception? innerException = null)
        : base(message, innerException)
    {
        Failure = failure;
        ReplyCode = replyCode;
        Proxy = proxy;
        Destination = destination;
    }

    /// <summary>
    /// Why the handshake stopped. <see cref="HandshakeFailure.None"/> when it never began (the proxy could not be reached;
    /// <see cref="Exception.InnerException"/> says why), or when it succeeded and what came after failed: the reply named
    /// an address the client cannot use (<see cref="BoundAddress"/>), or an established association ended.
    /// </summary>
    public HandshakeFailure Failure { get; }

    /// <summary>REP of the proxy's reply, raw (Tor's X'F0'–X'F7' and other unassigned values survive); null when no reply arrived.</summary>
    public ReplyCode? ReplyCode { get; }

    /// <summary>The proxy the exchange was with, when known (a handshake over a caller's pipe may not know it).</summary>
    public EndPoint? Proxy { get; }

    /// <summary>
    /// The destination the client asked for, as the caller gave it (the same value as <see cref="Socks5Tunnel.Destination"/>
    /// on success): an <see cref="IPEndPoint"/>, or a <see cref="DnsEndPoint"/> for a name, which is sent to the proxy
    /// unresolved unless <see cref="Socks5ClientOptions.ResolveNamesLocally"/> is set. For BIND it is the expected peer,
    /// for UDP ASSOCIATE the address the client told the proxy it sends from. Null when there is none: a UDP ASSOCIATE whose
    /// proxy could not be reached, a UDP relay the client cannot use (see <see cref="BoundAddress"/>), or an established
    /// association that failed or ended.
    /// </summary>
    public EndPoint? Destination { get; }

    /// <summary>
    /// BND.ADDR and BND.PORT, as the proxy sent them, of a successful reply that named an address the client cannot use:
    /// a UDP relay at port 0, of the other address family, or a name that is not a host name or does not resolve.
    /// </summary>
    public EndPoint? BoundAddress { get; init; }

    /// <summary>
    /// With <see cref="HandshakeFailure.AuthenticationFailed"/> after RFC 1929 username/password: the STATUS byte of the
    /// proxy's reply. RFC 1929 defines X'00' as success and anything else as failure (servers use 1, 2 or X'FF'), so this
    /// is never 0. Null for every other failure, and for other methods.
    /// </summary>
    public byte? UsernamePasswordStatus { get; init; }

    /// <summary>
    /// With <see cref="ProxyProtocol.Socks4"/>: CD of the proxy's reply when it refused (91 to 93, or any other byte), kept
    /// raw. <see cref="ReplyCode"/> is null then. Null for SOCKS5 and HTTP.
    /// </summary>
    public Socks4ReplyCode? Socks4ReplyCode { get; init; }

    /// <summary>
    /// With <see cref="ProxyProtocol.HttpConnect"/>: the status code of the proxy's answer when it was not 2xx (407 with
    /// <see cref="HandshakeFailure.AuthenticationFailed"/> when it wants credentials or refused them). Null otherwise.
    /// </summary>
    public int? HttpStatusCode { get; init; }

    /// <summary>With <see cref="HandshakeFailure.UnexpectedMethod"/> or <see cref="HandshakeFailure.NoAcceptableMethod"/>: the METHOD the proxy sent.</summary>
    public AuthenticationMethod? SelectedMethod { get; init; }
}
