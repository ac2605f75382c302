using System;
using System.Linq;
using Socks5.Protocol.Wire;
using Xunit;

namespace Socks5.Protocol.Tests.Support;

/// <summary>
/// ATYP, ADDR and PORT in every form, shared by the request, reply and UDP header vectors, and a way to build a
/// valid address from arbitrary property-test input.
/// </summary>
public static class AddressVectors
{
    /// <summary>A 255-byte name ("aaa…"), the longest a SOCKS5 domain can be.</summary>
    public static readonly string LongestNameHex = string.Concat(Enumerable.Repeat("61", 255));

    /// <summary>Encoded address (hex), ATYP, ADDR (hex, without the domain length byte) and port.</summary>
    public static TheoryData<string, AddressType, string, int> All => new()
    {
        { "01 7f 00 00 01 1f 40", AddressType.IPv4, "7f000001", 8000 },
        { "01 00 00 00 00 00 00", AddressType.IPv4, "00000000", 0 },
        { "04 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 01 00 50", AddressType.IPv6, "00000000000000000000000000000001", 80 },
        { "04 20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01 ff ff", AddressType.IPv6, "20010db8000000000000000000000001", 65535 },
        { "03 01 61 00 01", AddressType.DomainName, "61", 1 },
        { "03 0b 65 78 61 6d 70 6c 65 2e 63 6f 6d 01 bb", AddressType.DomainName, "6578616d706c652e636f6d", 443 },
        { "03 ff " + LongestNameHex + " 00 50", AddressType.DomainName, LongestNameHex, 80 },
    };

    /// <summary>The endpoint has this ATYP, ADDR (hex) and port, and its derived properties agree.</summary>
    public static void AssertEndPoint(Socks5EndPoint endPoint, AddressType type, string addressHex, int port)
    {
        byte[] address = Hex.Parse(addressHex);
        Assert.Equal(type, endPoint.AddressType);
        Assert.Equal(Hex.Format(address), Hex.Format(endPoint.Address));
        Assert.Equal(port, endPoint.Port);
        Assert.Equal(1 + (type == AddressType.DomainName ? 1 : 0) + address.Length + 2, endPoint.EncodedLength);
        Assert.True(endPoint.ContentEquals(new Socks5EndPoint(type, address, (ushort)port)));
    }

    /// <summary>Any valid address built from arbitrary bytes: <paramref name="kind"/> picks the type, <paramref name="seed"/> fills it.</summary>
    public static (AddressType Type, byte[] Address) Build(byte kind, byte[]? seed)
    {
        seed ??= Array.Empty<byte>();
        switch (kind % 3)
        {
            case 0:
                return (AddressType.IPv4, Resize(seed, 4));
            case 1:
                return (AddressType.IPv6, Resize(seed, 16));
            default:
                int length = Math.Clamp(seed.Length, 1, Socks5EndPoint.MaxDomainNameLength);
                return (AddressType.DomainName, Resize(seed, length));
        }
    }

    private static byte[] Resize(byte[] seed, int length)
    {
        var result = new byte[length];
        seed.AsSpan(0, Math.Min(seed.Length, length)).CopyTo(result);
        return result;
    }
}
