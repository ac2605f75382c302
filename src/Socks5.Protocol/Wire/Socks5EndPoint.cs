// RFC 1928 §4-§5: the address and port that end a request, a reply and a UDP header.
//
//   +------+----------+----------+
//   | ATYP | DST.ADDR | DST.PORT |
//   +------+----------+----------+
//   |  1   | Variable |    2     |
//   +------+----------+----------+
//
//   ATYP X'01': DST.ADDR is 4 bytes (IPv4)
//   ATYP X'03': DST.ADDR is one length byte (1..255) and then that many bytes of name, no NUL
//   ATYP X'04': DST.ADDR is 16 bytes (IPv6)
//   DST.PORT is in network byte order.
using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Socks5.Protocol.Internal;

namespace Socks5.Protocol.Wire;

/// <summary>
/// A SOCKS5 address (IPv4, IPv6 or domain name) and port, as ATYP, ADDR and PORT of RFC 1928 §5.
/// It refers to bytes owned by someone else (the parsed input or a caller's buffer), so building
/// or parsing one allocates nothing; converting it to a <see cref="string"/>, an <see cref="IPAddress"/>
/// or an <see cref="EndPoint"/> is a separate, explicit call that does allocate.
/// </summary>
public readonly ref struct Socks5EndPoint
{
    /// <summary>The largest encoded size: ATYP, a length byte, a 255-byte name, and the port.</summary>
    public const int MaxEncodedLength = 1 + 1 + MaxDomainNameLength + 2;

    /// <summary>The longest domain name the one-byte length allows.</summary>
    public const int MaxDomainNameLength = 255;

    /// <summary>
    /// The size a buffer given to <see cref="FromEndPoint"/>, <see cref="FromHost"/> or
    /// <see cref="FromIPEndPoint"/> needs to hold any address.
    /// </summary>
    public const int MaxAddressLength = MaxDomainNameLength;

    /// <summary>
    /// Creates an endpoint from an address type, the address bytes and a port.
    /// </summary>
    /// <param name="addressType">The ATYP.</param>
    /// <param name="address">4 bytes for IPv4, 16 for IPv6, or 1 to 255 bytes of name (without the length byte).</param>
    /// <param name="port">The port.</param>
    /// <exception cref="ArgumentException">The address does not have the length its type requires, or the type is unknown.</exception>
    public Socks5EndPoint(AddressType addressType, ReadOnlySpan<byte> address, ushort port)
    {
        if (!IsValid(addressType, address.Length))
        {
            ThrowInvalid(addressType, address.Length);
        }

        AddressType = addressType;
        Address = address;
        Port = port;
    }

    // For the parser, which has validated already.
    private Socks5EndPoint(ReadOnlySpan<byte> address, AddressType addressType, ushort port)
    {
        AddressType = addressType;
        Address = address;
        Port = port;
    }

    /// <summary>The ATYP. A <c>default</c> instance has 0 here and cannot be written.</summary>
    public AddressType AddressType { get; }

    /// <summary>The address bytes: 4 (IPv4), 16 (IPv6) or 1 to 255 bytes of name without its length byte.</summary>
    public ReadOnlySpan<byte> Address { get; }

    /// <summary>The port, in host byte order.</summary>
    public ushort Port { get; }

    /// <summary>True when this is the all-zero IPv4 or IPv6 address (what a client sends when it does not know its address).</summary>
    public bool IsUnspecifiedAddress => AddressType != AddressType.DomainName && Address.Length > 0 && Address.IndexOfAnyExcept((byte)0) < 0;

    /// <summary>The number of bytes <see cref="TryWrite"/> writes: ATYP, ADDR (with its length byte for a name) and PORT.</summary>
    public int EncodedLength => 1 + (AddressType == AddressType.DomainName ? 1 : 0) + Address.Length + 2;

    /// <summary>
    /// Creates an endpoint for an <see cref="IPEndPoint"/>, copying the address bytes into <paramref name="buffer"/>.
    /// An IPv4-mapped IPv6 address stays IPv6, as the caller gave it.
    /// </summary>
    /// <param name="endPoint">The IP endpoint.</param>
    /// <param name="buffer">At least 16 bytes that the result will refer to.</param>
    /// <returns>An IPv4 or IPv6 endpoint.</returns>
    /// <exception cref="ArgumentException">The buffer is too small, or the address is neither IPv4 nor IPv6.</exception>
    public static Socks5EndPoint FromIPEndPoint(IPEndPoint endPoint, Span<byte> buffer)
    {
        if (endPoint is null)
        {
            throw new ArgumentNullException(nameof(endPoint));
        }

        int length = WriteAddressBytes(endPoint.Address, buffer);
        var type = length == 4 ? AddressType.IPv4 : AddressType.IPv6;
        return new Socks5EndPoint(buffer.Slice(0, length), type, (ushort)endPoint.Port);
    }

    /// <summary>
    /// Creates an endpoint for a host and port. An IP literal (<c>127.0.0.1</c>, <c>::1</c>, <c>[::1]</c>) becomes
    /// an IPv4 or IPv6 address; anything else is a domain name, sent as ASCII (an internationalized name is
    /// converted to its punycode form first).
    /// </summary>
    /// <param name="host">The host name or IP literal.</param>
    /// <param name="port">The port.</param>
    /// <param name="buffer">At least <see cref="MaxAddressLength"/> bytes that the result will refer to.</param>
    /// <returns>The endpoint.</returns>
    /// <exception cref="ArgumentException">The host is empty, longer than 255 bytes once encoded, or the buffer is too small.</exception>
    public static Socks5EndPoint FromHost(string host, ushort port, Span<byte> buffer)
    {
        if (host is null)
        {
            throw new ArgumentNullException(nameof(host));
        }

        if (TryParseIPLiteral(host, out IPAddress? ip))
        {
            return FromIPEndPoint(new IPEndPoint(ip, port), buffer);
        }

        if (host.Length == 0)
        {
            ThrowHelper.ThrowArgument("The host name is empty: SOCKS5 names have 1 to 255 bytes.", nameof(host));
        }

        string ascii = IsAscii(host) ? host : new IdnMapping().GetAscii(host);
        if (ascii.Length > MaxDomainNameLength)
        {
            ThrowHelper.ThrowArgument($"The host name has {ascii.Length} bytes: SOCKS5 names have 1 to 255 bytes.", nameof(host));
        }

        if (buffer.Length < ascii.Length)
        {
            ThrowHelper.ThrowArgument($"The buffer must hold at least {ascii.Length} bytes.", nameof(buffer));
        }

        for (int i = 0; i < ascii.Length; i++)
        {
            buffer[i] = (byte)ascii[i];
        }

        return new Socks5EndPoint(buffer.Slice(0, ascii.Length), AddressType.DomainName, port);
    }

    /// <summary>
    /// Creates an endpoint for an <see cref="IPEndPoint"/> or a <see cref="DnsEndPoint"/> (see <see cref="FromHost"/>).
    /// </summary>
    /// <param name="endPoint">An <see cref="IPEndPoint"/> or a <see cref="DnsEndPoint"/>.</param>
    /// <param name="buffer">At least <see cref="MaxAddressLength"/> bytes that the result will refer to.</param>
    /// <returns>The endpoint.</returns>
    /// <exception cref="ArgumentException">Another kind of endpoint, a host name that does not fit, or a buffer too small.</exception>
    public static Socks5EndPoint FromEndPoint(EndPoint endPoint, Span<byte> buffer) => endPoint switch
    {
        IPEndPoint ip => FromIPEndPoint(ip, buffer),
        DnsEndPoint dns => FromHost(dns.Host, (ushort)dns.Port, buffer),
        null => throw new ArgumentNullException(nameof(endPoint)),
        _ => throw new ArgumentException($"SOCKS5 addresses are IP or DNS endpoints, not {endPoint.GetType().Name}.", nameof(endPoint)),
    };

    /// <summary>
    /// The host as text: the domain name (decoded as UTF-8, which covers ASCII), or the IP address in its usual form
    /// (IPv6 without brackets). Allocates a string.
    /// </summary>
    /// <returns>The host.</returns>
    public string GetHost()
    {
        if (AddressType == AddressType.DomainName)
        {
            return Encoding.UTF8.GetString(Address);
        }

        return ToIPAddress()?.ToString() ?? string.Empty;
    }

    /// <summary>The IP address when the type is IPv4 or IPv6, otherwise null. Allocates.</summary>
    /// <returns>The address, or null for a domain name.</returns>
    public IPAddress? ToIPAddress()
    {
        if (AddressType is not (AddressType.IPv4 or AddressType.IPv6))
        {
            return null;
        }
        return Platform.CreateIPAddress(Address);
    }

    /// <summary>
    /// An <see cref="IPEndPoint"/> for an IP address, a <see cref="DnsEndPoint"/> for a domain name. Allocates.
    /// </summary>
    /// <returns>The endpoint.</returns>
    /// <exception cref="InvalidOperationException">This is a <c>default</c> instance with no address.</exception>
    public EndPoint ToEndPoint()
    {
        IPAddress? ip = ToIPAddress();
        if (ip is not null)
        {
            return new IPEndPoint(ip, Port);
        }

        if (AddressType != AddressType.DomainName)
        {
            ThrowHelper.ThrowInvalidOperation("This endpoint has no address.");
        }

        return new DnsEndPoint(GetHost(), Port);
    }

    /// <summary><c>host:port</c>, with IPv6 hosts in brackets. Allocates.</summary>
    /// <returns>The text form.</returns>
    public override string ToString() =>
        AddressType == AddressType.IPv6
            ? "[" + GetHost() + "]:" + Port.ToString(CultureInfo.InvariantCulture)
            : GetHost() + ":" + Port.ToString(CultureInfo.InvariantCulture);

    /// <summary>True when both endpoints have the same type, address bytes and port.</summary>
    /// <param name="other">The other endpoint.</param>
    /// <returns>Whether they are equal.</returns>
    public bool ContentEquals(Socks5EndPoint other) =>
        AddressType == other.AddressType && Port == other.Port && Address.SequenceEqual(other.Address);

    /// <summary>
    /// Writes ATYP, ADDR and PORT.
    /// </summary>
    /// <param name="destination">Where to write.</param>
    /// <param name="bytesWritten">The bytes written, or 0 when the destination is too small.</param>
    /// <returns>False, with nothing written, when the destination is too small.</returns>
    /// <exception cref="ArgumentException">This is a <c>default</c> instance with no address.</exception>
    public bool TryWrite(Span<byte> destination, out int bytesWritten)
    {
        ThrowIfDefault();
        int length = EncodedLength;
        if (destination.Length < length)
        {
            bytesWritten = 0;
            return false;
        }

        WriteValidated(destination);
        bytesWritten = length;
        return true;
    }

    /// <summary>
    /// Writes ATYP, ADDR and PORT for a caller that has already checked this endpoint with
    /// <see cref="ThrowIfDefault"/> and sized <paramref name="destination"/> with <see cref="EncodedLength"/>,
    /// so that a message's writer does not validate the address twice.
    /// </summary>
    internal void WriteValidated(Span<byte> destination)
    {
        destination[0] = (byte)AddressType;
        int offset = 1;
        if (AddressType == AddressType.DomainName)
        {
            destination[offset++] = (byte)Address.Length;
        }

        Address.CopyTo(destination.Slice(offset));
        BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(offset + Address.Length), Port);
    }

    /// <summary>
    /// Parses ATYP, ADDR and PORT from the start of <paramref name="source"/>.
    /// </summary>
    /// <param name="source">The bytes, starting at ATYP.</param>
    /// <param name="endPoint">The endpoint, referring to <paramref name="source"/>, when the result is <c>Done</c>.</param>
    /// <param name="bytesConsumed">The bytes the endpoint took when <c>Done</c>; otherwise 0.</param>
    /// <param name="error">Why, when the result is <c>InvalidData</c>: <see cref="ParseError.UnknownAddressType"/> or <see cref="ParseError.EmptyDomainName"/>.</param>
    /// <returns><c>Done</c>, <c>NeedMoreData</c> (nothing consumed) or <c>InvalidData</c> (nothing consumed).</returns>
    public static OperationStatus TryParse(ReadOnlySpan<byte> source, out Socks5EndPoint endPoint, out int bytesConsumed, out ParseError error)
    {
        endPoint = default;
        bytesConsumed = 0;
        error = ParseError.None;
        if (source.IsEmpty)
        {
            return OperationStatus.NeedMoreData;
        }

        var type = (AddressType)source[0];
        int addressOffset = 1;
        int addressLength;
        switch (type)
        {
            case AddressType.IPv4:
                addressLength = 4;
                break;
            case AddressType.IPv6:
                addressLength = 16;
                break;
            case AddressType.DomainName:
                if (source.Length < 2)
                {
                    return OperationStatus.NeedMoreData;
                }

                addressLength = source[1];
                if (addressLength == 0)
                {
                    // Checked as soon as the length byte is read, not after the rest has arrived.
                    error = ParseError.EmptyDomainName;
                    return OperationStatus.InvalidData;
                }

                addressOffset = 2;
                break;
            default:
                error = ParseError.UnknownAddressType;
                return OperationStatus.InvalidData;
        }

        int total = addressOffset + addressLength + 2;
        if (source.Length < total)
        {
            return OperationStatus.NeedMoreData;
        }

        ushort port = BinaryPrimitives.ReadUInt16BigEndian(source.Slice(addressOffset + addressLength));
        endPoint = new Socks5EndPoint(source.Slice(addressOffset, addressLength), type, port);
        bytesConsumed = total;
        return OperationStatus.Done;
    }

    internal void ThrowIfDefault()
    {
        if (!IsValid(AddressType, Address.Length))
        {
            ThrowInvalid(AddressType, Address.Length);
        }
    }

    private static bool IsValid(AddressType type, int length) => type switch
    {
        AddressType.IPv4 => length == 4,
        AddressType.IPv6 => length == 16,
        AddressType.DomainName => length is >= 1 and <= MaxDomainNameLength,
        _ => false,
    };

    private static void ThrowInvalid(AddressType type, int length)
    {
        string message = type switch
        {
            AddressType.IPv4 => $"An IPv4 address has 4 bytes, not {length}.",
            AddressType.IPv6 => $"An IPv6 address has 16 bytes, not {length}.",
            AddressType.DomainName => $"A SOCKS5 domain name has 1 to 255 bytes, not {length}.",
            _ => $"ATYP {(byte)type:X2} is not an address type: use IPv4, DomainName or IPv6.",
        };
        ThrowHelper.ThrowArgument(message, "address");
    }

    private static int WriteAddressBytes(IPAddress address, Span<byte> buffer)
    {
        if (address.AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
        {
            ThrowHelper.ThrowArgument($"SOCKS5 carries IPv4 and IPv6 addresses, not {address.AddressFamily}.", nameof(address));
        }

        int length = address.AddressFamily == AddressFamily.InterNetwork ? 4 : 16;
        if (buffer.Length < length)
        {
            ThrowHelper.ThrowArgument($"The buffer must hold at least {length} bytes.", nameof(buffer));
        }
        address.TryWriteBytes(buffer, out length);
        return length;
    }

    /// <summary>
    /// The one rule for host text that is an IP address, wherever a host string becomes an endpoint: an IPv6 literal, with
    /// or without brackets, or four dot-separated decimal numbers (a bracketed IPv4 address is accepted too).
    /// </summary>
    internal static bool TryParseIPLiteral(string host, [NotNullWhen(true)] out IPAddress? address)
    {
        string literal = host.Length > 2 && host[0] == '[' && host[host.Length - 1] == ']' ? host.Substring(1, host.Length - 2) : host;
        if ((literal.IndexOf(':') >= 0 || IsDottedQuad(literal)) && IPAddress.TryParse(literal, out address))
        {
            return true;
        }

        address = null;
        return false;
    }

    private static bool IsDottedQuad(string s)
    {
        // IPAddress.TryParse also takes "1", "1.2" or "0x7f.0.0.1" as IPv4 (inet_aton's forms); a SOCKS host "1" is a name.
        int dots = 0;
        foreach (char c in s)
        {
            if (c == '.')
            {
                dots++;
            }
            else if (c is < '0' or > '9')
            {
                return false;
            }
        }

        return dots == 3;
    }

    private static bool IsAscii(string s)
    {
        foreach (char c in s)
        {
            if (c > 0x7F)
            {
                return false;
            }
        }

        return true;
    }
}
