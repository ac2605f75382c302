using System;
using System.Net;
using Socks5.Protocol.Tests.Support;
using Socks5.Protocol.Wire;
using Xunit;

namespace Socks5.Protocol.Tests.Wire;

public class Socks5EndPointTests
{
    [Theory]
    [InlineData("127.0.0.1", AddressType.IPv4, "7F000001", "127.0.0.1:8080")]
    [InlineData("::1", AddressType.IPv6, "00000000000000000000000000000001", "[::1]:8080")]
    [InlineData("[::1]", AddressType.IPv6, "00000000000000000000000000000001", "[::1]:8080")]
    [InlineData("::ffff:127.0.0.1", AddressType.IPv6, "00000000000000000000FFFF7F000001", "[::ffff:127.0.0.1]:8080")]
    [InlineData("localhost", AddressType.DomainName, "6C6F63616C686F7374", "localhost:8080")]
    [InlineData("1", AddressType.DomainName, "31", "1:8080")]
    [InlineData("1.2", AddressType.DomainName, "312E32", "1.2:8080")]
    [InlineData("0x7f.0.0.1", AddressType.DomainName, "307837662E302E302E31", "0x7f.0.0.1:8080")] // inet_aton's hex form is a name here
    [InlineData("bücher.example", AddressType.DomainName, "786E2D2D62636865722D6B76612E6578616D706C65", "xn--bcher-kva.example:8080")]
    public void FromHost_makes_IP_literals_addresses_and_anything_else_an_ASCII_name(string host, AddressType type, string addressHex, string text)
    {
        Span<byte> buffer = stackalloc byte[Socks5EndPoint.MaxAddressLength];
        Socks5EndPoint endPoint = Socks5EndPoint.FromHost(host, 8080, buffer);

        AddressVectors.AssertEndPoint(endPoint, type, addressHex, 8080);
        Assert.Equal(text, endPoint.ToString());
    }

    [Fact]
    public void FromIPEndPoint_keeps_an_IPv4_mapped_IPv6_address_IPv6()
    {
        Span<byte> buffer = stackalloc byte[16];
        IPAddress mapped = IPAddress.Parse("127.0.0.1").MapToIPv6();
        Socks5EndPoint endPoint = Socks5EndPoint.FromIPEndPoint(new IPEndPoint(mapped, 1080), buffer);

        Assert.Equal(AddressType.IPv6, endPoint.AddressType);
        Assert.Equal(mapped, endPoint.ToIPAddress());
        Assert.Equal(new IPEndPoint(mapped, 1080), endPoint.ToEndPoint());
    }

    [Fact]
    public void FromEndPoint_takes_IP_and_DNS_endpoints()
    {
        Span<byte> buffer = stackalloc byte[Socks5EndPoint.MaxAddressLength];
        Socks5EndPoint ip = Socks5EndPoint.FromEndPoint(new IPEndPoint(IPAddress.Loopback, 80), buffer);
        Assert.Equal("127.0.0.1:80", ip.ToString());
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 80), ip.ToEndPoint());

        Span<byte> other = stackalloc byte[Socks5EndPoint.MaxAddressLength];
        Socks5EndPoint dns = Socks5EndPoint.FromEndPoint(new DnsEndPoint("localhost", 443), other);
        Assert.Equal(AddressType.DomainName, dns.AddressType);
        DnsEndPoint converted = Assert.IsType<DnsEndPoint>(dns.ToEndPoint());
        Assert.Equal(("localhost", 443), (converted.Host, converted.Port));
        Assert.Null(dns.ToIPAddress());
        Assert.Equal("localhost", dns.GetHost());

        Socks5EndPoint literal = Socks5EndPoint.FromEndPoint(new DnsEndPoint("::1", 443), other);
        Assert.Equal(AddressType.IPv6, literal.AddressType);
        Assert.IsType<IPEndPoint>(literal.ToEndPoint());
    }

    [Fact]
    public void A_255_character_name_fits_and_256_throws()
    {
        var buffer = new byte[Socks5EndPoint.MaxAddressLength];
        Assert.Equal(255, Socks5EndPoint.FromHost(new string('a', 255), 1, buffer).Address.Length);
        Assert.ThrowsAny<ArgumentException>(() => Socks5EndPoint.FromHost(new string('a', 256), 1, buffer));
        Assert.ThrowsAny<ArgumentException>(() => Socks5EndPoint.FromHost(string.Empty, 1, buffer));
        Assert.ThrowsAny<ArgumentException>(() => Socks5EndPoint.FromHost("example.com", 1, new byte[4]));
    }

    [Theory]
    [InlineData(AddressType.IPv4, 3)]
    [InlineData(AddressType.IPv4, 16)]
    [InlineData(AddressType.IPv6, 4)]
    [InlineData(AddressType.DomainName, 0)]
    [InlineData(AddressType.DomainName, 256)]
    [InlineData((AddressType)0x02, 4)]
    [InlineData((AddressType)0x00, 0)]
    public void Constructor_refuses_an_address_of_the_wrong_length_or_type(AddressType type, int length) =>
        Assert.ThrowsAny<ArgumentException>(() => new Socks5EndPoint(type, new byte[length], 80));

    [Theory]
    [InlineData(AddressType.IPv4, "00000000", true)]
    [InlineData(AddressType.IPv6, "00000000000000000000000000000000", true)]
    [InlineData(AddressType.IPv4, "00000001", false)]
    [InlineData(AddressType.DomainName, "00", false)]
    public void IsUnspecifiedAddress_is_true_only_for_all_zero_IP_addresses(AddressType type, string addressHex, bool expected) =>
        Assert.Equal(expected, new Socks5EndPoint(type, Hex.Parse(addressHex), 0).IsUnspecifiedAddress);

    [Fact]
    public void ContentEquals_compares_type_address_and_port()
    {
        byte[] a = { 10, 0, 0, 1 };
        var endPoint = new Socks5EndPoint(AddressType.IPv4, a, 80);
        Assert.True(endPoint.ContentEquals(new Socks5EndPoint(AddressType.IPv4, new byte[] { 10, 0, 0, 1 }, 80)));
        Assert.False(endPoint.ContentEquals(new Socks5EndPoint(AddressType.IPv4, a, 81)));
        Assert.False(endPoint.ContentEquals(new Socks5EndPoint(AddressType.IPv4, new byte[] { 10, 0, 0, 2 }, 80)));
        Assert.False(endPoint.ContentEquals(new Socks5EndPoint(AddressType.DomainName, a, 80)));
    }

    [Fact]
    public void A_default_endpoint_has_no_address_to_convert_or_write()
    {
        Socks5EndPoint empty = default;
        Assert.False(empty.IsUnspecifiedAddress);
        Assert.Null(empty.ToIPAddress());
        Assert.Throws<InvalidOperationException>(() => default(Socks5EndPoint).ToEndPoint());
        Assert.ThrowsAny<ArgumentException>(() => default(Socks5EndPoint).TryWrite(new byte[16], out _));
    }
}
