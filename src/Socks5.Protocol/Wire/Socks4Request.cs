// SOCKS4 ("SOCKS: A protocol for TCP proxy across firewalls") and its SOCKS4a extension: the request, client to server.
//
//               +----+----+----+----+----+----+----+----+----+----+....+----+
//               | VN | CD | DSTPORT |      DSTIP        | USERID       |NULL|
//               +----+----+----+----+----+----+----+----+----+----+....+----+
//   # of bytes:   1    1      2              4           variable       1
//
//   VN is 4. CD is 1 for CONNECT, 2 for BIND (and Tor's RESOLVE X'F0' and RESOLVE_PTR X'F1').
//   DSTPORT is in network byte order.
//
//   SOCKS4a: when DSTIP is 0.0.0.x with x non-zero (an address no host has), the destination is a name that follows
//   the USERID's NUL, ended by its own NUL:
//
//               +----+----+----+----+----+----+----+----+----+----+....+----+----+....+----+
//               | VN | CD | DSTPORT |  0 |  0 |  0 |  x | USERID       |NULL| HOSTNAME     |NULL|
//               +----+----+----+----+----+----+----+----+----+----+....+----+----+....+----+
//
//   Neither document bounds USERID or HOSTNAME; this library takes at most 255 bytes of each (as SOCKS5 does for
//   names and RFC 1929 for user names), so that a request fits a fixed buffer.
using System;
using System.Buffers;
using System.Buffers.Binary;
using Socks5.Protocol.Internal;

namespace Socks5.Protocol.Wire;

/// <summary>
/// A SOCKS4 or SOCKS4a request: a command, its destination and the client's USERID.
/// </summary>
public readonly ref struct Socks4Request
{
    /// <summary>VN of a SOCKS4 request.</summary>
    public const byte Version = 4;

    /// <summary>The longest USERID (without its NUL) this library reads or writes.</summary>
    public const int MaxUserIdLength = 255;

    /// <summary>The longest SOCKS4a host name (without its NUL) this library reads or writes.</summary>
    public const int MaxHostNameLength = Socks5EndPoint.MaxDomainNameLength;

    /// <summary>The largest request: the 8 fixed bytes, a 255-byte USERID and a 255-byte host name, each with its NUL.</summary>
    public const int MaxLength = HeaderLength + MaxUserIdLength + 1 + MaxHostNameLength + 1;

    private const int HeaderLength = 8;

    private Socks4Request(Command command, Socks5EndPoint destination, ReadOnlySpan<byte> userId)
    {
        Command = command;
        Destination = destination;
        UserId = userId;
    }

    /// <summary>CD: CONNECT, BIND, RESOLVE, or any other byte, kept raw.</summary>
    public Command Command { get; }

    /// <summary>
    /// DSTIP and DSTPORT as an IPv4 endpoint, or, for SOCKS4a, the host name and DSTPORT as a domain name endpoint.
    /// </summary>
    public Socks5EndPoint Destination { get; }

    /// <summary>USERID, without its NUL: 0 to 255 bytes, no encoding given.</summary>
    public ReadOnlySpan<byte> UserId { get; }

    /// <summary>True when the request names its destination by host name (SOCKS4a).</summary>
    public bool IsSocks4a => Destination.AddressType == AddressType.DomainName;

    /// <summary>Parses a request from the start of <paramref name="source"/>.</summary>
    /// <param name="source">The bytes received.</param>
    /// <param name="request">The request, referring to <paramref name="source"/>, when <c>Done</c>.</param>
    /// <param name="bytesConsumed">The request's length, up to and including its last NUL, when <c>Done</c>; otherwise 0.</param>
    /// <param name="error">
    /// Why, when <c>InvalidData</c>: <see cref="ParseError.UnsupportedVersion"/> (VN is not 4),
    /// <see cref="ParseError.UserIdTooLong"/> (no NUL within 256 bytes of USERID),
    /// <see cref="ParseError.EmptyDomainName"/> (a SOCKS4a name that is only its NUL) or
    /// <see cref="ParseError.DomainNameTooLong"/> (no NUL within 256 bytes of name), each reported as soon as it is known.
    /// </param>
    /// <returns><c>Done</c>, <c>NeedMoreData</c> (until the NULs arrive) or <c>InvalidData</c>. Only <c>Done</c> consumes anything.</returns>
    public static OperationStatus TryParse(ReadOnlySpan<byte> source, out Socks4Request request, out int bytesConsumed, out ParseError error)
    {
        request = default;
        bytesConsumed = 0;
        error = ParseError.None;
        if (source.IsEmpty)
        {
            return OperationStatus.NeedMoreData;
        }

        if (source[0] != Version)
        {
            error = ParseError.UnsupportedVersion;
            return OperationStatus.InvalidData;
        }

        if (source.Length < HeaderLength)
        {
            return OperationStatus.NeedMoreData;
        }

        OperationStatus status = FindNul(source.Slice(HeaderLength), MaxUserIdLength, ParseError.UserIdTooLong, out int userIdLength, out error);
        if (status != OperationStatus.Done)
        {
            return status;
        }

        ReadOnlySpan<byte> address = source.Slice(4, 4);
        ushort port = BinaryPrimitives.ReadUInt16BigEndian(source.Slice(2));
        int end = HeaderLength + userIdLength + 1;
        Socks5EndPoint destination;
        if (IsSocks4aMarker(address))
        {
            status = FindNul(source.Slice(end), MaxHostNameLength, ParseError.DomainNameTooLong, out int nameLength, out error);
            if (status != OperationStatus.Done)
            {
                return status;
            }

            if (nameLength == 0)
            {
                error = ParseError.EmptyDomainName;
                return OperationStatus.InvalidData;
            }

            destination = new Socks5EndPoint(AddressType.DomainName, source.Slice(end, nameLength), port);
            end += nameLength + 1;
        }
        else
        {
            destination = new Socks5EndPoint(AddressType.IPv4, address, port);
        }

        request = new Socks4Request((Command)source[1], destination, source.Slice(HeaderLength, userIdLength));
        bytesConsumed = end;
        return OperationStatus.Done;
    }

    /// <summary>
    /// Parses a request from the start of <paramref name="source"/>, copying it into <paramref name="scratch"/> when it crosses segments.
    /// </summary>
    /// <param name="source">The bytes received.</param>
    /// <param name="scratch">At least <see cref="MaxLength"/> bytes, used only when the request crosses segments.</param>
    /// <param name="request">The request when <c>Done</c>.</param>
    /// <param name="bytesConsumed">The request's length when <c>Done</c>; otherwise 0.</param>
    /// <param name="error">Why, when <c>InvalidData</c> (see the span overload).</param>
    /// <returns>As the span overload.</returns>
    /// <exception cref="ArgumentException"><paramref name="scratch"/> is smaller than <see cref="MaxLength"/> and was needed.</exception>
    public static OperationStatus TryParse(in ReadOnlySequence<byte> source, Span<byte> scratch, out Socks4Request request, out int bytesConsumed, out ParseError error) =>
        TryParse(SequenceHelper.GetSpan(source, scratch, MaxLength), out request, out bytesConsumed, out error);

    /// <summary>The length of a request for <paramref name="destinationAddress"/> with <paramref name="userId"/>.</summary>
    /// <param name="destinationAddress">An IPv4 endpoint (SOCKS4) or a domain name endpoint (SOCKS4a).</param>
    /// <param name="userId">USERID: 0 to 255 bytes, none of them NUL.</param>
    /// <returns>9 plus the USERID, plus the name and its NUL for SOCKS4a.</returns>
    /// <exception cref="ArgumentException">
    /// The destination is IPv6, a <c>default</c> instance, a name containing NUL, or an IPv4 address 0.0.0.x with x
    /// non-zero (which SOCKS4a reserves); or the USERID is too long or contains NUL.
    /// </exception>
    public static int GetLength(Socks5EndPoint destinationAddress, ReadOnlySpan<byte> userId)
    {
        destinationAddress.ThrowIfDefault();
        if (userId.Length > MaxUserIdLength || userId.IndexOf((byte)0) >= 0)
        {
            ThrowHelper.ThrowArgument($"A SOCKS4 USERID has 0 to {MaxUserIdLength} bytes and no NUL.", nameof(userId));
        }

        switch (destinationAddress.AddressType)
        {
            case AddressType.IPv4:
                if (IsSocks4aMarker(destinationAddress.Address))
                {
                    ThrowHelper.ThrowArgument("SOCKS4a reserves the IPv4 addresses 0.0.0.1 to 0.0.0.255 to announce a host name.", nameof(destinationAddress));
                }

                return HeaderLength + userId.Length + 1;
            case AddressType.DomainName:
                if (destinationAddress.Address.IndexOf((byte)0) >= 0)
                {
                    ThrowHelper.ThrowArgument("A SOCKS4a host name ends at its first NUL: it cannot contain one.", nameof(destinationAddress));
                }

                return HeaderLength + userId.Length + 1 + destinationAddress.Address.Length + 1;
            default:
                ThrowHelper.ThrowArgument("SOCKS4 carries IPv4 addresses and SOCKS4a host names, not IPv6 addresses.", nameof(destinationAddress));
                return 0;
        }
    }

    /// <summary>Writes a SOCKS4 request for an IPv4 destination, or a SOCKS4a request (DSTIP 0.0.0.1) for a host name.</summary>
    /// <param name="command">CD: CONNECT, BIND, RESOLVE, or any other byte, kept raw.</param>
    /// <param name="destinationAddress">An IPv4 endpoint (SOCKS4) or a domain name endpoint (SOCKS4a).</param>
    /// <param name="userId">USERID: 0 to 255 bytes, none of them NUL.</param>
    /// <param name="destination">Where to write.</param>
    /// <param name="bytesWritten">The bytes written; 0 when false.</param>
    /// <returns>False, with nothing written, when the destination is too small.</returns>
    /// <exception cref="ArgumentException">As <see cref="GetLength"/> (nothing is written).</exception>
    public static bool TryWrite(Command command, Socks5EndPoint destinationAddress, ReadOnlySpan<byte> userId, Span<byte> destination, out int bytesWritten)
    {
        int length = GetLength(destinationAddress, userId);
        if (destination.Length < length)
        {
            bytesWritten = 0;
            return false;
        }

        destination[0] = Version;
        destination[1] = (byte)command;
        BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(2), destinationAddress.Port);
        bool named = destinationAddress.AddressType == AddressType.DomainName;
        if (named)
        {
            // 0.0.0.1: the SOCKS4a marker; any x from 1 to 255 would do, 1 is the usual one.
            destination[4] = 0;
            destination[5] = 0;
            destination[6] = 0;
            destination[7] = 1;
        }
        else
        {
            destinationAddress.Address.CopyTo(destination.Slice(4));
        }

        userId.CopyTo(destination.Slice(HeaderLength));
        int offset = HeaderLength + userId.Length;
        destination[offset++] = 0;
        if (named)
        {
            destinationAddress.Address.CopyTo(destination.Slice(offset));
            offset += destinationAddress.Address.Length;
            destination[offset++] = 0;
        }

        bytesWritten = offset;
        return true;
    }

    /// <summary>Writes a request to <paramref name="writer"/>.</summary>
    /// <param name="writer">The writer.</param>
    /// <param name="command">CD: CONNECT, BIND, RESOLVE, or any other byte, kept raw.</param>
    /// <param name="destinationAddress">An IPv4 endpoint (SOCKS4) or a domain name endpoint (SOCKS4a).</param>
    /// <param name="userId">USERID: 0 to 255 bytes, none of them NUL.</param>
    /// <returns>The bytes written.</returns>
    /// <exception cref="ArgumentException">As <see cref="GetLength"/> (nothing is written).</exception>
    public static int Write(IBufferWriter<byte> writer, Command command, Socks5EndPoint destinationAddress, ReadOnlySpan<byte> userId)
    {
        int length = GetLength(destinationAddress, userId);
        bool ok = TryWrite(command, destinationAddress, userId, BufferWriterHelper.GetSpan(writer, length), out int written);
        return BufferWriterHelper.Commit(writer, ok, written);
    }

    // 0.0.0.x with x non-zero.
    private static bool IsSocks4aMarker(ReadOnlySpan<byte> address) => address[0] == 0 && address[1] == 0 && address[2] == 0 && address[3] != 0;

    // A field ended by NUL, of at most maxLength bytes before it: Done with its length, NeedMoreData, or tooLong once
    // maxLength + 1 bytes have arrived without a NUL.
    private static OperationStatus FindNul(ReadOnlySpan<byte> source, int maxLength, ParseError tooLong, out int length, out ParseError error)
    {
        error = ParseError.None;
        ReadOnlySpan<byte> window = source.Length > maxLength + 1 ? source.Slice(0, maxLength + 1) : source;
        length = window.IndexOf((byte)0);
        if (length >= 0)
        {
            return OperationStatus.Done;
        }

        length = 0;
        if (window.Length > maxLength)
        {
            error = tooLong;
            return OperationStatus.InvalidData;
        }

        return OperationStatus.NeedMoreData;
    }
}
