// RFC 1928 §7: the header in front of every datagram through a UDP relay.
//
//   +----+------+------+----------+----------+----------+
//   |RSV | FRAG | ATYP | DST.ADDR | DST.PORT |   DATA   |
//   +----+------+------+----------+----------+----------+
//   | 2  |  1   |  1   | Variable |    2     | Variable |
//   +----+------+------+----------+----------+----------+
//
//   RSV is X'0000'. FRAG is the fragment number; X'00' is a whole datagram, and a relay that does not
//   reassemble drops every datagram with FRAG other than 0. DATA follows the header to the end of the datagram.
using System;
using System.Buffers;
using System.Buffers.Binary;
using Socks5.Protocol.Internal;

namespace Socks5.Protocol.Wire;

/// <summary>
/// The SOCKS5 UDP request header (RFC 1928 §7). A successful parse's <c>bytesConsumed</c> is the offset of DATA.
/// </summary>
public readonly ref struct Socks5UdpHeader
{
    /// <summary>RSV, FRAG: the bytes before the address.</summary>
    public const int FixedLength = 3;

    /// <summary>The largest header: RSV, FRAG, and the largest address.</summary>
    public const int MaxLength = FixedLength + Socks5EndPoint.MaxEncodedLength;

    /// <summary>Creates a header.</summary>
    /// <param name="fragment">FRAG: 0 for a whole datagram.</param>
    /// <param name="address">DST.ADDR and DST.PORT: the destination, or the source on the way back.</param>
    public Socks5UdpHeader(byte fragment, Socks5EndPoint address)
    {
        Fragment = fragment;
        Address = address;
    }

    /// <summary>FRAG: 0 for a whole datagram; other values are fragments, which this library drops.</summary>
    public byte Fragment { get; }

    /// <summary>DST.ADDR and DST.PORT: where the datagram goes (client to relay), or where it came from (relay to client).</summary>
    public Socks5EndPoint Address { get; }

    /// <summary>Parses a header from the start of a datagram.</summary>
    /// <param name="source">The datagram.</param>
    /// <param name="header">The header, referring to <paramref name="source"/>, when <c>Done</c>.</param>
    /// <param name="bytesConsumed">The header's length, which is where DATA starts, when <c>Done</c>; otherwise 0.</param>
    /// <param name="error">
    /// Why, when <c>InvalidData</c>: <see cref="ParseError.NonZeroReserved"/>, <see cref="ParseError.UnknownAddressType"/>
    /// or <see cref="ParseError.EmptyDomainName"/>.
    /// </param>
    /// <returns>
    /// <c>Done</c>; <c>NeedMoreData</c> when the datagram ends inside the header (a truncated datagram: drop it);
    /// <c>InvalidData</c>. Only <c>Done</c> consumes anything.
    /// </returns>
    public static OperationStatus TryParse(ReadOnlySpan<byte> source, out Socks5UdpHeader header, out int bytesConsumed, out ParseError error)
    {
        header = default;
        bytesConsumed = 0;
        error = ParseError.None;
        int reserved = Math.Min(source.Length, 2);
        if (source.Slice(0, reserved).IndexOfAnyExcept((byte)0) >= 0)
        {
            error = ParseError.NonZeroReserved;
            return OperationStatus.InvalidData;
        }

        if (source.Length < FixedLength)
        {
            return OperationStatus.NeedMoreData;
        }

        OperationStatus status = Socks5EndPoint.TryParse(source.Slice(FixedLength), out Socks5EndPoint address, out int addressLength, out error);
        if (status != OperationStatus.Done)
        {
            return status;
        }

        header = new Socks5UdpHeader(source[2], address);
        bytesConsumed = FixedLength + addressLength;
        return OperationStatus.Done;
    }

    /// <summary>
    /// Parses a header from the start of <paramref name="source"/>, copying it into <paramref name="scratch"/> when it crosses segments.
    /// </summary>
    /// <param name="source">The datagram.</param>
    /// <param name="scratch">At least <see cref="MaxLength"/> bytes, used only when the header crosses segments.</param>
    /// <param name="header">The header when <c>Done</c>.</param>
    /// <param name="bytesConsumed">The header's length when <c>Done</c>; otherwise 0.</param>
    /// <param name="error">Why, when <c>InvalidData</c> (see the span overload).</param>
    /// <returns>As the span overload.</returns>
    /// <exception cref="ArgumentException"><paramref name="scratch"/> is smaller than <see cref="MaxLength"/> and was needed.</exception>
    public static OperationStatus TryParse(in ReadOnlySequence<byte> source, Span<byte> scratch, out Socks5UdpHeader header, out int bytesConsumed, out ParseError error) =>
        TryParse(SequenceHelper.GetSpan(source, scratch, MaxLength), out header, out bytesConsumed, out error);

    /// <summary>The length of a header naming <paramref name="address"/>: the offset at which DATA is written.</summary>
    /// <param name="address">DST.ADDR and DST.PORT.</param>
    /// <returns>3 plus the encoded address.</returns>
    /// <exception cref="ArgumentException">The address is a <c>default</c> instance.</exception>
    public static int GetLength(Socks5EndPoint address)
    {
        address.ThrowIfDefault();
        return FixedLength + address.EncodedLength;
    }

    /// <summary>Writes a header; the caller writes DATA after it.</summary>
    /// <param name="fragment">FRAG: 0 for a whole datagram.</param>
    /// <param name="address">DST.ADDR and DST.PORT.</param>
    /// <param name="destination">Where to write.</param>
    /// <param name="bytesWritten">The bytes written; 0 when false.</param>
    /// <returns>False, with nothing written, when the destination is too small.</returns>
    /// <exception cref="ArgumentException">The address is a <c>default</c> instance (nothing is written).</exception>
    public static bool TryWrite(byte fragment, Socks5EndPoint address, Span<byte> destination, out int bytesWritten)
    {
        int length = GetLength(address);
        if (destination.Length < length)
        {
            bytesWritten = 0;
            return false;
        }

        BinaryPrimitives.WriteUInt16BigEndian(destination, 0);
        destination[2] = fragment;
        address.WriteValidated(destination.Slice(FixedLength));
        bytesWritten = length;
        return true;
    }

    /// <summary>Writes a header to <paramref name="writer"/>; the caller writes DATA after it.</summary>
    /// <param name="writer">The writer.</param>
    /// <param name="fragment">FRAG: 0 for a whole datagram.</param>
    /// <param name="address">DST.ADDR and DST.PORT.</param>
    /// <returns>The bytes written.</returns>
    /// <exception cref="ArgumentException">The address is a <c>default</c> instance (nothing is written).</exception>
    public static int Write(IBufferWriter<byte> writer, byte fragment, Socks5EndPoint address)
    {
        int length = GetLength(address);
        bool ok = TryWrite(fragment, address, BufferWriterHelper.GetSpan(writer, length), out int written);
        return BufferWriterHelper.Commit(writer, ok, written);
    }
}
