using System;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Socks5.Protocol.Hosting;

/// <summary>Endpoint conversions the client needs: host text to an endpoint, endpoints to text, and address clean-ups.</summary>
internal static class EndPoints
{
    /// <summary>An IP literal (<c>127.0.0.1</c>, <c>::1</c>, <c>[::1]</c>) becomes an <see cref="IPEndPoint"/>, anything else a <see cref="DnsEndPoint"/>.</summary>
    public static EndPoint FromHost(string host, int port)
    {
        if (host is null)
        {
            throw new ArgumentNullException(nameof(host));
        }

        if (port is < 0 or > 65535)
        {
            throw new ArgumentOutOfRangeException(nameof(port), port, "A port is 0 to 65535.");
        }

        string literal = host.Length > 2 && host[0] == '[' && host[host.Length - 1] == ']' ? host.Substring(1, host.Length - 2) : host;
        // Same rule as Socks5EndPoint.FromHost: "1" or "1.2" are names, not IPv4 shorthands.
        bool looksLiteral = literal.IndexOf(':') >= 0 || literal.Split('.').Length == 4;
        if (looksLiteral && IPAddress.TryParse(literal, out IPAddress? ip))
        {
            return new IPEndPoint(ip, port);
        }

        return new DnsEndPoint(host, port);
    }

    /// <summary><c>host:port</c>, IPv6 in brackets, without the address family <see cref="DnsEndPoint.ToString"/> adds.</summary>
    public static string Format(EndPoint? endPoint) => endPoint switch
    {
        null => "(unknown)",
        DnsEndPoint dns => dns.Host + ":" + dns.Port.ToString(CultureInfo.InvariantCulture),
        IPEndPoint ip => Normalize(ip).ToString(),
        _ => endPoint.ToString() ?? string.Empty,
    };

    /// <summary>An IPv4-mapped IPv6 address (what a dual-mode socket reports) as plain IPv4.</summary>
    public static IPEndPoint Normalize(IPEndPoint endPoint) =>
        endPoint.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(endPoint.Address.MapToIPv4(), endPoint.Port) : endPoint;

    /// <summary>
    /// A BND.ADDR of 0.0.0.0 or :: means "my address, whichever you reached me on": put the proxy's address there, so the
    /// result can be connected or sent to.
    /// </summary>
    public static EndPoint ReplaceUnspecified(EndPoint bound, EndPoint? proxy)
    {
        if (bound is IPEndPoint ip && proxy is IPEndPoint proxyIp &&
            (ip.Address.Equals(IPAddress.Any) || ip.Address.Equals(IPAddress.IPv6Any)))
        {
            return new IPEndPoint(Normalize(proxyIp).Address, ip.Port);
        }

        return bound is IPEndPoint plain ? Normalize(plain) : bound;
    }

    /// <summary>The wildcard address of a family, port 0.</summary>
    public static IPEndPoint Any(AddressFamily family) =>
        new(family == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
}
