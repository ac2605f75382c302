using System.Net;

namespace Socks5.Protocol.Internal;

/// <summary>
/// The address clean-ups both roles need. A dual-mode socket reports IPv4 peers as IPv4-mapped IPv6 (::ffff:a.b.c.d), and
/// a client may send that form on purpose: every address is unmapped before it is compared, checked or dialed, so that
/// one address has one spelling.
/// </summary>
internal static class IPAddresses
{
    /// <summary>An IPv4-mapped IPv6 address as plain IPv4; any other address as it is.</summary>
    public static IPAddress Unmap(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    /// <summary>The end point with its address unmapped (the same instance when there is nothing to unmap).</summary>
    public static IPEndPoint Unmap(IPEndPoint endPoint) =>
        endPoint.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(endPoint.Address.MapToIPv4(), endPoint.Port) : endPoint;

    /// <summary>True for 0.0.0.0 and :: ("any address"), which must never be dialed or sent to.</summary>
    public static bool IsUnspecified(IPAddress address) => address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any);
}
