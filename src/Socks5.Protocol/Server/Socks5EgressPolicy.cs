using System;
using System.Collections.Generic;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Socks5.Protocol.Internal;

namespace Socks5.Protocol.Server;

/// <summary>
/// Where the server may dial, take a BIND peer from, or send a datagram to: lists of CIDR ranges checked on the address
/// actually used (after name resolution), before the access rule. An IPv4-mapped (::ffff:a.b.c.d) or IPv4-compatible
/// (::a.b.c.d) address is matched as its IPv4 address too. Deny wins: an address in any deny range (or in the
/// <see cref="DenyPrivate"/> preset) is refused even if an allow range holds it. When <see cref="Allow"/> is not empty,
/// only addresses in one of its ranges may be used. Default: empty lists and no preset, so nothing is refused here.
/// </summary>
/// <remarks>
/// A server that listens beyond loopback should set <see cref="DenyPrivate"/>: otherwise any client can reach this
/// machine's loopback services, the private networks behind it, and cloud metadata (169.254.169.254). The server's own
/// listen end points are refused anyway, unless <see cref="Socks5ServerOptions.AllowSelfConnect"/> is set; with
/// <see cref="DenyPrivate"/> their addresses are refused at every port, and a listener on 0.0.0.0 or :: makes that every
/// address of this machine.
/// The strings are parsed when the server is created: a bad one makes the constructor throw an
/// <see cref="ArgumentException"/> that names it.
/// </remarks>
public sealed class Socks5EgressPolicy
{
    /// <summary>
    /// The ranges of <see cref="DenyPrivate"/>: this machine, private and shared networks, link-local (cloud metadata),
    /// multicast and reserved, for IPv4 and IPv6.
    /// </summary>
    public static IReadOnlyList<string> PrivateRanges { get; } = new[]
    {
        "0.0.0.0/8", "127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16",
        "224.0.0.0/4", "240.0.0.0/4", "::/128", "::1/128", "fc00::/7", "fe80::/10", "ff00::/8",
    };

    /// <summary>CIDR ranges (<c>10.0.0.0/8</c>, <c>2001:db8::/32</c>; a bare address is one host). When any is set, only these may be used.</summary>
    public IList<string> Allow { get; } = new List<string>();

    /// <summary>CIDR ranges never used, whatever <see cref="Allow"/> says.</summary>
    public IList<string> Deny { get; } = new List<string>();

    /// <summary>
    /// Whether <see cref="PrivateRanges"/> are denied too, and this machine's own addresses: the listen addresses (every
    /// address of the machine when one listens on 0.0.0.0 or ::). Default false (unchanged for a loopback-only server).
    /// </summary>
    public bool DenyPrivate { get; set; }
}

/// <summary>A <see cref="Socks5EgressPolicy"/> parsed once: ranges as 128-bit prefixes (IPv4 as ::ffff:0:0/96), checked without allocating.</summary>
internal sealed class EgressRules
{
    private readonly Range[] _allow;
    private readonly Range[] _deny;

    private EgressRules(Range[] allow, Range[] deny, bool deniesThisMachine)
    {
        _allow = allow;
        _deny = deny;
        DeniesThisMachine = deniesThisMachine;
    }

    /// <summary>
    /// The preset is on: the server's own addresses are denied too, at every port (not only the listen end points, which
    /// the self-connect check refuses anyway): a listen address, or every address of the machine for a wildcard listener.
    /// </summary>
    public bool DeniesThisMachine { get; }

    /// <summary>Null when the policy refuses nothing (the common, default case).</summary>
    public static EgressRules? Parse(Socks5EgressPolicy policy)
    {
        var deny = new List<Range>();
        if (policy.DenyPrivate)
        {
            foreach (string text in Socks5EgressPolicy.PrivateRanges)
            {
                deny.Add(ParseRange(text));
            }
        }
        foreach (string text in policy.Deny)
        {
            deny.Add(ParseRange(text));
        }
        var allow = new List<Range>();
        foreach (string text in policy.Allow)
        {
            allow.Add(ParseRange(text));
        }
        return deny.Count == 0 && allow.Count == 0 ? null : new EgressRules(allow.ToArray(), deny.ToArray(), policy.DenyPrivate);
    }

    /// <summary>Whether <paramref name="address"/> may be used.</summary>
    public bool IsAllowed(IPAddress address)
    {
        (ulong high, ulong low) = ToBits(address);
        // ::a.b.c.d (IPv4-compatible, deprecated but still routed by some stacks) is also judged as a.b.c.d.
        bool compatible = high == 0 && (low >> 32) == 0;
        ulong mappedLow = 0xFFFF_0000_0000UL | (low & 0xFFFF_FFFFUL);
        if (In(_deny, high, low) || (compatible && In(_deny, 0, mappedLow)))
        {
            return false;
        }
        return _allow.Length == 0 || In(_allow, high, low) || (compatible && In(_allow, 0, mappedLow));
    }

    private static bool In(Range[] ranges, ulong high, ulong low)
    {
        foreach (Range range in ranges)
        {
            if ((high & range.MaskHigh) == range.High && (low & range.MaskLow) == range.Low)
            {
                return true;
            }
        }
        return false;
    }

    private static Range ParseRange(string text)
    {
        string trimmed = text?.Trim() ?? string.Empty;
        int slash = trimmed.IndexOf('/');
        string addressText = slash < 0 ? trimmed : trimmed.Substring(0, slash);
        if (!IPAddress.TryParse(addressText, out IPAddress? address) || addressText.IndexOf('%') >= 0)
        {
            ThrowBadRange(text);
        }
        bool v4 = address.AddressFamily == AddressFamily.InterNetwork;
        int bits = v4 ? 32 : 128;
        int length = bits;
        if (slash >= 0 && (!int.TryParse(trimmed.Substring(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out length) || length > bits))
        {
            ThrowBadRange(text);
        }
        if (v4)
        {
            length += 96; // as ::ffff:a.b.c.d
        }
        else if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        (ulong high, ulong low) = ToBits(address);
        ulong maskHigh = length >= 64 ? ulong.MaxValue : length == 0 ? 0 : ulong.MaxValue << (64 - length);
        ulong maskLow = length <= 64 ? 0 : length == 128 ? ulong.MaxValue : ulong.MaxValue << (128 - length);
        return new Range(high & maskHigh, low & maskLow, maskHigh, maskLow);
    }

    // The address as 128 bits, IPv4 as ::ffff:a.b.c.d. The bytes are in network order whatever the machine's order
    // (on netstandard2.0 TryWriteBytes is the polyfill, which copies GetAddressBytes).
    private static (ulong High, ulong Low) ToBits(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out int length);
        if (length == 4)
        {
            ulong value = ((ulong)bytes[0] << 24) | ((ulong)bytes[1] << 16) | ((ulong)bytes[2] << 8) | bytes[3];
            return (0, 0xFFFF_0000_0000UL | value);
        }

        ulong high = 0, low = 0;
        for (int i = 0; i < 8; i++)
        {
            high = (high << 8) | bytes[i];
            low = (low << 8) | bytes[i + 8];
        }

        return (high, low);
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void ThrowBadRange(string? text) =>
        throw new ArgumentException($"Egress range '{text}' is not an IP address or a CIDR range (address/prefix length).", nameof(Socks5ServerOptions.Egress));

    private readonly record struct Range(ulong High, ulong Low, ulong MaskHigh, ulong MaskLow);
}
